// Command ferry moves container images between registries, directories
// and archives; a daemonless drop-in for skopeo. Everything lives in
// internal/cli: main only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrytool/ferry/internal/cli"
	"github.com/ferrytool/ferry/transport/storage/store"
)

func main() {
	tuneMemory()
	if store.Init() {
		return // ran as the store's layer-applying helper
	}
	// The first SIGINT or SIGTERM cancels the command, which stops every
	// transfer and cleans up (temporary files, uncommitted archives);
	// default handling is then restored, so a second signal kills at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	caught := make(chan os.Signal, 1)
	go func() {
		s := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		caught <- s
		cancel()
	}()
	stopProfiles := startProfiles()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfiles()
	select {
	case s := <-caught:
		// Die of the signal, as the shell and a calling script expect
		// (status 130 for SIGINT, 143 for SIGTERM): a script must not carry
		// on as if the command had merely failed.
		dieOf(s)
	default:
	}
	cancel()
	os.Exit(code)
}
