package fetch

import (
	"sync/atomic"
	"time"
)

// minProgress is the least a connection must deliver per stall window
// to count as alive: a link slower than this (about 34 bytes a second
// over the default 30 s) is not slow, it is stalled, like a server that
// trickles one byte every few seconds to keep the connection open.
const minProgress = 1 << 10

// watchdog ends a request (through cancel) that makes too little
// progress: fewer than minProgress bytes over a stall window of time spent
// waiting for them. Only waiting counts: time the reader spends elsewhere
// (a slow destination downstream) is not held against the connection.
// One goroutine calls start and stop in turn.
type watchdog struct {
	window time.Duration
	timer  *time.Timer
	fired  atomic.Bool

	since  time.Time     // when the current wait began
	waited time.Duration // waiting in the current window
	got    int64         // bytes in the current window
}

func newWatchdog(window time.Duration, cancel func()) *watchdog {
	w := &watchdog{window: window}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.fired.Store(true)
		cancel()
	})
	w.timer.Stop()
	return w
}

// start is called before waiting for bytes.
func (w *watchdog) start() {
	w.since = time.Now()
	w.timer.Reset(max(w.window-w.waited, 0))
}

// stop is called when the wait ended with n bytes.
func (w *watchdog) stop(n int) {
	w.timer.Stop()
	w.waited += time.Since(w.since)
	w.got += int64(n)
	if w.got >= minProgress {
		w.got, w.waited = 0, 0 // a new window
	}
}

// stalled reports whether the watchdog ended the request.
func (w *watchdog) stalled() bool { return w.fired.Load() }

// close stops the watchdog for good.
func (w *watchdog) close() { w.timer.Stop() }
