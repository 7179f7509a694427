//go:build unix

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// watchResize returns a channel that receives when the terminal is
// resized (SIGWINCH), and the func that stops watching.
func watchResize() (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	signal.Notify(sig, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-sig:
				select {
				case out <- struct{}{}:
				default: // a redraw is already due
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(sig)
		close(done)
	}
}
