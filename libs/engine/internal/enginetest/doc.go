// Package enginetest is the contract test suite every engine adapter runs:
// the same scenarios (normal stream, coalesced batches, failures before and
// after the first chunk, error objects, token timeout, cancellation, emit
// errors, connection reuse) against an httptest server that writes the
// adapter's real wire format. It also holds the in-memory transport and the
// replay check the stream fuzz targets share.
//
// Import rule: test support only; imported by _test.go files of this module.
package enginetest
