//go:build !linux

package artifacts

// releaseMapped does nothing outside Linux: the pages bbolt has read stay
// mapped until it remaps the file, and the kernel reclaims them under memory
// pressure.
func releaseMapped(addr, n uintptr) error { return nil }
