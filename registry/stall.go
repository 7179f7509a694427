package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// DefaultStallTimeout is how long a request may make no progress (less
// than minProgress bytes sent or received) before it is ended and, where
// that is safe, tried again. Waiting for an answer gets twice as long, and
// a PUT or PATCH, after which a registry may be storing or hashing
// gigabytes, ten times as long.
const DefaultStallTimeout = 30 * time.Second

// minProgress is the least a request must move per stall window to count
// as alive: a server that trickles a byte every few seconds is stalled,
// not slow.
const minProgress = 1 << 10

// WithStallTimeout sets the stall window (see DefaultStallTimeout); tests
// use a short one.
func WithStallTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.retry.stall = d
		}
	}
}

func (c *Client) stallWindow() time.Duration {
	if c.retry.stall > 0 {
		return c.retry.stall
	}
	return DefaultStallTimeout
}

// answerWait is how long a request may wait for its response headers.
func (c *Client) answerWait(method string) time.Duration {
	if method == http.MethodPut || method == http.MethodPatch {
		return 10 * c.stallWindow()
	}
	return 2 * c.stallWindow()
}

// guard ends a request (through cancel) that makes too little progress:
// fewer than minProgress bytes over the current limit of time spent
// waiting on the network. Only network time counts: while the request body
// waits on its source, or the caller is busy between reads of the
// response, the clock stops. Safe for concurrent use (the transport reads
// the request body on its own goroutine).
type guard struct {
	cancel context.CancelFunc
	timer  *time.Timer
	fired  atomic.Bool

	mu      sync.Mutex
	running bool
	since   time.Time
	waited  time.Duration
	got     int64
	limit   time.Duration // the window of the clock
	// The timer is set lazily: a read only notes the time, and the timer,
	// when it fires, checks the clock and sets itself again if the
	// request is still within its limit. Stopping and setting it around
	// every read cost more than the rest of the guard (two reads per
	// 32 KiB on a copy between registries).
	armed   bool
	armedAt time.Time // when the armed timer fires
	stopped bool
}

func newGuard(cancel context.CancelFunc) *guard {
	g := &guard{cancel: cancel}
	g.timer = time.AfterFunc(time.Hour, g.check)
	g.timer.Stop()
	return g
}

// run starts (or restarts) the clock with limit as the window.
func (g *guard) run(limit time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pauseLocked(0)
	now := time.Now()
	g.running, g.since, g.limit = true, now, limit
	left := max(limit-g.waited, 0)
	if g.stopped || g.armed && !now.Add(left).Before(g.armedAt) {
		return // the timer fires by the deadline and looks again
	}
	g.armed, g.armedAt = true, now.Add(left)
	g.timer.Reset(left)
}

// check runs when the timer fires: it ends the request if the clock ran
// out, and otherwise sets the timer for what is left while the clock runs
// (run sets it when the clock starts again).
func (g *guard) check() {
	g.mu.Lock()
	g.armed = false
	if g.stopped || !g.running {
		g.mu.Unlock()
		return
	}
	now := time.Now()
	used := g.waited + now.Sub(g.since)
	if used < g.limit {
		g.armed, g.armedAt = true, now.Add(g.limit-used)
		g.timer.Reset(g.limit - used)
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	g.fired.Store(true)
	g.cancel()
}

// pause stops the clock, crediting n bytes of progress.
func (g *guard) pause(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pauseLocked(n)
}

func (g *guard) pauseLocked(n int) {
	if g.running {
		g.waited += time.Since(g.since)
		g.running = false
	}
	g.got += int64(n)
	if g.got >= minProgress {
		g.got, g.waited = 0, 0
	}
}

// progress starts a new window (an answer arrived).
func (g *guard) progress() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pauseLocked(0)
	g.got, g.waited = 0, 0
}

// stop ends the guard and releases the request's context.
func (g *guard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.timer.Stop()
	g.cancel()
}

func (g *guard) stalled() bool { return g.fired.Load() }

// stallError says that the request to url made no progress.
func (g *guard) stallError(method, url string, window time.Duration) error {
	return fmt.Errorf("%w: %s %s: no progress for %v (less than %d bytes moved)", errdefs.ErrUnavailable, method, url, window, minProgress)
}

// guardedBody is a request body: the clock runs while the transport
// writes what it read (between reads), not while the source is read.
type guardedBody struct {
	r      io.Reader
	g      *guard
	window time.Duration
	answer time.Duration
}

func (b *guardedBody) Read(p []byte) (int, error) {
	b.g.pause(0)
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.g.pause(n)
		b.g.run(b.answer) // all sent: waiting for the answer
		return n, err
	}
	b.g.pause(n)
	b.g.run(b.window)
	return n, err
}

func (b *guardedBody) Close() error {
	if c, ok := b.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// guardedResponse is a response body: the clock runs while a read waits
// on the network. Close releases the request's context.
type guardedResponse struct {
	io.ReadCloser
	g      *guard
	window time.Duration
	method string
	url    string
	once   sync.Once
}

func (b *guardedResponse) Read(p []byte) (int, error) {
	b.g.run(b.window)
	n, err := b.ReadCloser.Read(p)
	b.g.pause(n)
	if err != nil && err != io.EOF && b.g.stalled() {
		err = b.g.stallError(b.method, b.url, b.window)
	}
	return n, err
}

func (b *guardedResponse) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.g.stop)
	return err
}
