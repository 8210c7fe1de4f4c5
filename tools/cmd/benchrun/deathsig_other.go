//go:build !linux

package main

import "os/exec"

// dieWithParent is a no-op where the kernel offers no parent-death signal;
// benchrun still stops every child on its way out.
func dieWithParent(*exec.Cmd) {}
