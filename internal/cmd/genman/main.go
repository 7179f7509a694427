// Command genman writes ferry's man pages, one per command, generated from
// the command definitions (the same text as --help), into a directory:
//
//	go run ./internal/cmd/genman docs/man
//
// The pages in docs/man are checked in; a test fails when they differ
// from what this writes, so they follow every change to a command.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/cmd/genman DIR")
		os.Exit(1)
	}
	if err := WriteManPages(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}
