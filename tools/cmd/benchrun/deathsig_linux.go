package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the child when benchrun dies, even by
// SIGKILL, so no engine or daemon outlives a session.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
