// Package sse reads a Server-Sent Events body line by line in batches: one
// blocking read, then every complete line the reader already holds, so that a
// burst of engine events costs one wake-up. It also splits a line into its
// field and value.
//
// Import rule: standard library only; internal to the engine module.
package sse
