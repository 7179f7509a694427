package registry

import (
	"context"
	"testing"
	"time"
)

// waitFired polls g until it fired or the deadline passed.
func waitFired(g *guard, within time.Duration) bool {
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if g.stalled() {
			return true
		}
	}
	return g.stalled()
}

// The guard's clock runs only between run and pause (a read waiting on the
// network), and its timer is set lazily: these check that it still ends a
// request whose clock ran out, whatever the order of the calls.
func TestGuardClock(t *testing.T) {
	t.Run("runs out", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g := newGuard(cancel)
		defer g.stop()
		g.run(20 * time.Millisecond)
		if !waitFired(g, 5*time.Second) || ctx.Err() == nil {
			t.Fatal("the clock ran out and the request was not ended")
		}
	})
	t.Run("paused while the caller is busy", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g := newGuard(cancel)
		defer g.stop()
		for range 5 {
			g.run(20 * time.Millisecond)
			g.pause(1)
			time.Sleep(30 * time.Millisecond) // the caller's time, not the network's
		}
		if g.stalled() || ctx.Err() != nil {
			t.Fatal("time spent outside reads counted as a stall")
		}
	})
	t.Run("a shorter window after a longer one", func(t *testing.T) {
		_, cancel := context.WithCancel(context.Background())
		g := newGuard(cancel)
		defer g.stop()
		g.run(time.Hour) // waiting for an answer
		g.pause(0)
		g.run(20 * time.Millisecond) // then a body read: the timer must not wait the hour
		if !waitFired(g, 5*time.Second) {
			t.Fatal("the shorter window did not end the request")
		}
	})
	t.Run("progress restarts the window", func(t *testing.T) {
		_, cancel := context.WithCancel(context.Background())
		g := newGuard(cancel)
		defer g.stop()
		g.run(time.Hour)
		g.pause(minProgress) // a window's worth of bytes: the clock starts over
		g.mu.Lock()
		waited, got := g.waited, g.got
		g.mu.Unlock()
		if waited != 0 || got != 0 {
			t.Fatalf("after %d bytes: waited %v, got %d; want both reset", minProgress, waited, got)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		_, cancel := context.WithCancel(context.Background())
		g := newGuard(cancel)
		g.run(20 * time.Millisecond)
		g.stop()
		time.Sleep(60 * time.Millisecond)
		if g.stalled() {
			t.Fatal("a stopped guard fired")
		}
	})
}
