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
)

func main() {
	// The first SIGINT or SIGTERM cancels the command, which stops every
	// transfer and leaves destinations as they were; stop restores the
	// default handling so a second signal kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
