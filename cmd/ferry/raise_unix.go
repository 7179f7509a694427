//go:build unix && !linux

package main

import (
	"syscall"
	"time"
)

// raise sends sig to the process. The runtime's handler ends it from
// whichever thread took the signal; raise gives it that moment and
// returns when sig did not end the process (it is ignored).
func raise(sig syscall.Signal) {
	syscall.Kill(syscall.Getpid(), sig)
	time.Sleep(time.Second)
}
