//go:build !unix

package main

import (
	"os"
	"syscall"
)

// dieOf exits with the shell's status for a death by s (128+N).
func dieOf(s os.Signal) {
	if sig, ok := s.(syscall.Signal); ok {
		os.Exit(128 + int(sig))
	}
	os.Exit(1)
}
