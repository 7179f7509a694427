package main

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

// dieOf ends the process by the signal s with its default action, so the
// parent sees a death by signal; should the signal not end it (it was
// ignored when ferry started, so Reset ignores it again), the exit status
// is the shell's 128+N.
//
// The signal goes to this very thread (tgkill), whose return from the
// system call runs the runtime's handler, which ends the process: there
// is no moment in which another thread still has to be scheduled to take
// it (a signal sent to the process, with a sleep for the fallback, lost
// that race on a loaded machine and exited 130 instead).
func dieOf(s os.Signal) {
	sig, ok := s.(syscall.Signal)
	if !ok {
		os.Exit(1)
	}
	signal.Reset(sig)
	runtime.LockOSThread()
	_ = syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), sig)
	os.Exit(128 + int(sig))
}
