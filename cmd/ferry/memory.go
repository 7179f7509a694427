package main

import (
	"os"
	"runtime/debug"
)

// tuneMemory sets the Go runtime for a command that moves bytes and keeps
// little: a copy's live heap is a MiB or two of buffers and connections,
// and the collector's default target (twice the live heap, at least
// 4 MiB) lets the heap grow well past it. Half that target costs a few
// more collections of a small heap (a 1 GiB copy on a fast link still
// runs two). GOGC, when set, is the user's to choose.
func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}
