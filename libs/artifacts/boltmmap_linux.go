package artifacts

import "syscall"

// releaseMapped drops the pages of the n bytes mapped at addr from the
// process's page tables (madvise MADV_DONTNEED). For a shared file mapping
// the pages stay in the page cache and the next access maps them again from
// it: no data is lost and nothing is read from disk.
func releaseMapped(addr, n uintptr) error {
	if n == 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
