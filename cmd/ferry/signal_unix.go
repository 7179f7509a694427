//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// dieOf ends the process by the signal s with its default action, so the
// parent sees a death by signal; should the signal not end it (it was
// ignored when ferry started, and Reset ignores it again), the exit
// status is the shell's 128+N.
func dieOf(s os.Signal) {
	sig, ok := s.(syscall.Signal)
	if !ok {
		os.Exit(1)
	}
	signal.Reset(sig)
	raise(sig)
	os.Exit(128 + int(sig))
}
