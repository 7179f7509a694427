//go:build unix && !linux

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// dieOf ends the process by the signal s with its default action, so the
// parent sees a death by signal; should the signal not end it, the exit
// status is the shell's 128+N.
func dieOf(s os.Signal) {
	sig, ok := s.(syscall.Signal)
	if !ok {
		os.Exit(1)
	}
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
	// The runtime's handler ends the process from whichever thread took
	// the signal; give it that moment before the fallback.
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
