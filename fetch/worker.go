package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"golang.org/x/sync/errgroup"
)

// errStalled replaces the cancellation error of a request the stall
// watchdog ended.
var errStalled = fmt.Errorf("%w: the connection stalled", errdefs.ErrUnavailable)

// readBufs and rangeBufs hold the buffers connections read into: the
// first connection of a blob, and the others (see bufSize).
var (
	readBufs  = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}
	rangeBufs = sync.Pool{New: func() any { b := make([]byte, rangeBufSize); return &b }}
)

// spawn starts the blob's other connections once the first response
// (which tells whether the server honours ranges at all) and the link
// probe (which tells whether they are needed) asked for them. Each starts
// only when the host budget has a slot for it and a range to give it, and
// ends after its range: a blob waiting for connections costs one waiting
// goroutine, not one per connection it may get. As many run at once as
// the blob has connections; each time nothing is left to take, one fewer.
func (b *blobFetch) spawn(ctx context.Context, g *errgroup.Group) error {
	select {
	case <-b.probed:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-b.parallel:
	case <-b.alone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	room := make(chan struct{}, b.workers-1)
	for left := b.workers - 1; left > 0; {
		select {
		case room <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := b.budget.acquire(ctx, b.priority); err != nil {
			return err
		}
		s := b.take()
		if s == nil {
			// Its token stays in room: one connection fewer from now on.
			b.budget.release()
			left--
			continue
		}
		g.Go(func() error {
			defer func() { <-room }()
			return b.worker(ctx, false, s)
		})
	}
	return nil
}

// worker is one connection's loop: take a slot from the host budget, take
// a range, fetch it, give the slot back; on a failure give the range back
// for any connection to continue, wait, and try again. A non-nil s comes
// with a slot already held (run takes the first connection's, spawn the
// others'). The first connection carries on with the next range; another
// ends after its range.
func (b *blobFetch) worker(ctx context.Context, first bool, s *segment) error {
	if first {
		defer b.probeOnce.Do(func() { close(b.probed) })
		defer b.soloOnce.Do(func() { close(b.alone) }) // done: nobody else need start
	}
	failures := 0
	for {
		if s == nil {
			if err := b.budget.acquire(ctx, b.priority); err != nil {
				return err
			}
			if s = b.take(); s == nil {
				b.budget.release()
				return nil
			}
		}
		n, err := b.fetchRange(ctx, &s, first)
		b.budget.release()
		if err == nil {
			if !first {
				return nil
			}
			failures = 0
			s = nil
			continue
		}
		b.giveBack(s)
		s = nil
		switch {
		case errors.Is(err, errSuperseded):
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case waitTooLong(err) != nil:
			return fmt.Errorf("fetching %s: %w", b.d.Digest, waitTooLong(err))
		case !retryable(err):
			return fmt.Errorf("fetching %s: %w", b.d.Digest, err)
		}
		if n > 0 {
			failures = 0
		}
		failures++
		if failures > b.o.retries {
			return fmt.Errorf("fetching %s: giving up after %d attempts in a row: %w", b.d.Digest, failures, err)
		}
		wait := backoff(err, failures, b.o.retryDelay)
		b.log.Debug("fetch: retrying", "digest", b.d.Digest, "attempt", failures, "wait", wait, "error", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// fetchRange fetches what is left of *sp over one request and returns the
// bytes it wrote. A watchdog cancels the request when no byte arrives for
// the stall timeout. The range may shrink while it runs (an idle
// connection took its back half): the body is then closed where the range
// now ends. The first connection, until the probe decides, asks for the
// rest of the blob and carries on into the ranges after its own while
// nobody else owns them (see extend), updating *sp; it also feeds the
// probe's meter and, the probe window in, has the probe decide.
func (b *blobFetch) fetchRange(ctx context.Context, sp **segment, first bool) (int64, error) {
	// The buffer is held with the slot only: a blob's workers waiting for
	// one cost no memory, so it stays bounded by the host budget however
	// many blobs are under way. The first connection's larger one is for
	// a fast link: once the probe finds the link slow it takes a range
	// connection's.
	bufs := &rangeBufs
	if first && !b.slow() {
		bufs = &readBufs
	}
	bp := bufs.Get().(*[]byte)
	defer func() { bufs.Put(bp) }()
	buf := *bp

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	watchdog := time.AfterFunc(b.o.stall, func() {
		stalled.Store(true)
		cancel()
	})
	defer watchdog.Stop()
	fail := func(err error) error {
		if stalled.Load() && ctx.Err() == nil {
			return fmt.Errorf("%w: no data for %v", errStalled, b.o.stall)
		}
		return err
	}

	s := *sp
	probing := first && b.workers > 1 && !b.decided()
	off, n := b.request(s, probing)
	open := probing // the request runs to the blob's end: carry on (extend)
	if probing {
		rctx = b.meter.watch(rctx)
	}
	asked := time.Now()
	body, err := b.src.ReadRange(rctx, b.d, off, n)
	if err == nil {
		b.answered(time.Since(asked))
	}
	var skip int64
	if errors.Is(err, ErrRangeIgnored) && body == nil {
		return 0, permanent(fmt.Errorf("%s: the source ignored a range and sent no body", b.d.Digest))
	}
	if errors.Is(err, ErrRangeIgnored) {
		at, ok := b.goSingle(s)
		if !ok {
			body.Close()
			return 0, errSuperseded
		}
		skip, err = at, nil
	}
	if first && err == nil {
		b.probeOnce.Do(func() { close(b.probed) })
	}
	if err != nil {
		if body != nil {
			body.Close()
		}
		return 0, fail(err)
	}
	defer body.Close()

	// A trickle (less than minProgress per window) is a stall.
	var fresh int64
	progress := func(k int) {
		if fresh += int64(k); fresh >= minProgress {
			fresh = 0
			watchdog.Reset(b.o.stall)
		}
	}
	// A whole body sent in answer to a range: read past what is on disk.
	for skip > 0 {
		k, rerr := body.Read(buf[:min(int64(len(buf)), skip)])
		skip -= int64(k)
		progress(k)
		if rerr != nil {
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return 0, fail(fmt.Errorf("%w: %w", errdefs.ErrUnavailable, rerr))
		}
	}

	var wrote int64
	for {
		if probing {
			b.meter.begin()
		}
		k, rerr := body.Read(buf)
		if probing {
			b.meter.end(k, len(buf))
			if time.Since(b.probeStart) >= b.o.stream.probe {
				b.decide()
				probing = !b.decided()
			}
		}
		if k > 0 {
			progress(k)
			done, err := b.store(sp, buf[:k], open, &wrote)
			if err != nil {
				return wrote, err
			}
			if done {
				if b.end(*sp) == off+n || (n < 0 && b.end(*sp) == b.d.Size) {
					// Read the end of the body so the connection is
					// kept for the next range.
					_, _ = body.Read(buf[:1])
				}
				return wrote, nil
			}
		}
		if bufs != &rangeBufs && b.slow() {
			// The link proved slow: the bytes just read are stored, and
			// the rest come in a range connection's buffer. The larger
			// one is left to the collector: no connection on a slow link
			// takes one again.
			bufs = &rangeBufs
			bp = bufs.Get().(*[]byte)
			buf = *bp
		}
		switch {
		case rerr == io.EOF:
			return wrote, fmt.Errorf("%w: the connection closed %d bytes early", errdefs.ErrUnavailable, b.remaining(*sp))
		case rerr != nil:
			return wrote, fail(rerr)
		}
	}
}

// store writes data into *sp, adding the bytes written to *wrote. It
// reports whether this connection is done with its request: its range is
// complete and, for a request open to the blob's end (open), the range
// after it is not free to carry on into (see extend; when it is, *sp
// moves on to it).
func (b *blobFetch) store(sp **segment, data []byte, open bool, wrote *int64) (bool, error) {
	for len(data) > 0 {
		w, full, err := b.write(*sp, data)
		*wrote += w
		if err != nil {
			return false, err
		}
		if !full {
			return false, nil
		}
		data = data[w:]
		if !open {
			return true, nil
		}
		next := b.extend(*sp)
		if next == nil {
			return true, nil
		}
		*sp = next
	}
	return false, nil
}

func (b *blobFetch) end(s *segment) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.end
}

func (b *blobFetch) remaining(s *segment) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.end - s.next
}
