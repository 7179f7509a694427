package main

import (
	"runtime"
	"syscall"
)

// raise sends sig to this very thread (tgkill): the return from the system
// call runs the runtime's handler, which ends the process, so nothing
// waits for another thread to be scheduled. It returns only when sig is
// ignored.
func raise(sig syscall.Signal) {
	runtime.LockOSThread()
	_ = syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), sig)
}
