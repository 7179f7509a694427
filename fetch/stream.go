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
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Stream tuning. A blob starts with one request for all of it; if, after
// the probe window (DefaultLinkProbe), that connection delivers less than
// DefaultFastRate bytes per second of waiting on it (see linkMeter), the
// rest is fetched as streamChunk ranges over parallel connections, at
// most streamWindow of them ahead of the reader, so memory stays at a few
// MiB per blob, and the first connection stops at the next range
// boundary. A fast link keeps the one request: one GET per blob, no
// per-range overhead. Blobs smaller than probeSize and two ranges are
// never split.
const (
	streamChunk  = 1 << 20
	streamWindow = 4
	probeSize    = 4 * streamChunk
)

// DefaultLinkProbe and DefaultFastRate are the link probe's defaults (see
// WithLinkProbe): its window, and the bytes per second of waiting on a
// connection at or above which the link counts as fast.
const (
	DefaultLinkProbe = 200 * time.Millisecond
	DefaultFastRate  = 32 << 20
)

// streamTuning holds the probe's settings; tests lower them to force the
// parallel path on a fast loopback server.
type streamTuning struct {
	probe time.Duration
	fast  float64
}

// StreamFrom returns blob d from byte off to its end over one connection,
// which continues from its last byte when it breaks or stalls: for reading
// a blob again (a cut upload resumed from what the registry holds). It
// does not verify the content.
func (f *Fetcher) StreamFrom(ctx context.Context, src RangeReader, d ocispec.Descriptor, off int64) (io.ReadCloser, error) {
	if off < 0 || off > d.Size {
		return nil, fmt.Errorf("%w: offset %d outside blob %s of %d bytes", errdefs.ErrInvalidArgument, off, d.Digest, d.Size)
	}
	return newResumer(ctx, &f.o, src, d, off, d.Size)
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, streamChunk); return &b }}

// Stream returns blob d as a reader that yields its bytes in order with
// nothing on disk: for destinations that take a stream (a registry upload,
// an archive being written), where a cached copy would only cost disk. The
// blob starts on one connection; when that proves slow (a link that
// throttles each connection) the bytes ahead are fetched as ranges over
// parallel connections within the host's budget, and the first connection
// stops where they begin. A broken or stalled connection, on any of these
// paths, continues from its last byte.
// Stream does not verify the content: the caller's verifying reader does,
// and reports progress as it reads.
func (f *Fetcher) Stream(ctx context.Context, src RangeReader, d ocispec.Descriptor) (io.ReadCloser, error) {
	if d.Size < f.o.threshold || d.Size < probeSize+2*streamChunk {
		return newResumer(ctx, &f.o, src, d, 0, d.Size)
	}
	tune := f.o.stream
	if tune.probe <= 0 && tune.fast <= 0 {
		return newResumer(ctx, &f.o, src, d, 0, d.Size) // no probe: one connection
	}
	// Without a probe (see WithLinkProbe), ranges from the first boundary.
	boundary := d.Size
	if tune.probe <= 0 {
		boundary = streamChunk
	}
	started := time.Now()
	meter := &linkMeter{}
	first, err := newResumer(meter.watch(ctx), &f.o, src, d, 0, boundary)
	if err != nil {
		return nil, err
	}
	if first.end == d.Size {
		boundary = d.Size // the server sent the whole blob: that is the stream
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{
		ctx: ctx, cancel: cancel, f: f, src: src, d: d,
		first: first, boundary: boundary, started: started, meter: meter,
		n:     int((d.Size + streamChunk - 1) / streamChunk),
		ready: map[int]*[]byte{},
	}
	s.cond = sync.NewCond(&s.mu)
	if boundary < d.Size {
		s.decided = true
		s.goParallel(1)
	}
	return s, nil
}

// stream is the reader Stream returns.
type stream struct {
	ctx    context.Context
	cancel context.CancelFunc
	f      *Fetcher
	src    RangeReader
	d      ocispec.Descriptor

	// The first connection serves [0, boundary); boundary is the blob's
	// end unless the probe found the link slow.
	first    io.ReadCloser
	pos      int64
	boundary int64
	started  time.Time
	meter    *linkMeter // the first connection's, until decided
	decided  bool
	parallel bool

	n  int // ranges in the blob
	wg sync.WaitGroup
	// consumed mirrors next for the budget, which asks without our lock.
	consumed atomic.Int64

	mu    sync.Mutex
	cond  *sync.Cond
	ready map[int]*[]byte // fetched ranges not yet read
	next  int             // the range the reader is on
	cur   []byte          // what is left of the range being read
	held  *[]byte         // its buffer, back to the pool when read
	err   error
}

// Read implements io.Reader: bytes in blob order.
func (s *stream) Read(p []byte) (int, error) {
	switch {
	case s.pos < s.boundary:
		return s.readFirst(p)
	case s.parallel:
		return s.readRanges(p)
	}
	return 0, io.EOF
}

// readFirst reads from the first connection. After the probe window it decides
// whether the bytes past the next range boundary come as parallel ranges
// (a slow link) or keep coming over this connection (a fast one).
func (s *stream) readFirst(p []byte) (int, error) {
	if int64(len(p)) > s.boundary-s.pos {
		p = p[:s.boundary-s.pos]
	}
	if !s.decided {
		s.meter.begin()
	}
	n, err := s.first.Read(p)
	s.pos += int64(n)
	if !s.decided {
		s.meter.end(n, len(p))
	}
	if err == io.EOF && s.pos < s.boundary {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		return n, err
	}
	if !s.decided && time.Since(s.started) >= s.f.o.stream.probe {
		s.decide()
	}
	if s.pos < s.boundary {
		return n, nil
	}
	s.first.Close()
	if s.boundary == s.d.Size {
		return n, io.EOF
	}
	return n, nil // parallel: readRanges takes over on the next Read
}

// decide starts the parallel ranges when the first connection proved slow:
// they begin at the next range boundary, where the first connection stops.
func (s *stream) decide() {
	rate, ok := s.meter.rate(s.f.o.stream.probe)
	if !ok {
		return // no evidence yet
	}
	s.decided = true
	if rate >= s.f.o.stream.fast {
		s.f.o.log.Debug("fetch: fast connection, one request for the blob", "digest", s.d.Digest, "rate", int64(rate))
		return
	}
	next := int((s.pos + streamChunk - 1) / streamChunk)
	if next >= s.n {
		return // the first connection is into the last range: let it finish
	}
	s.boundary = int64(next) * streamChunk
	s.f.o.log.Debug("fetch: slow connection, fetching the rest in parallel ranges",
		"digest", s.d.Digest, "rate", int64(rate), "from", s.boundary)
	s.goParallel(next)
}

// goParallel starts fetching ranges from range next on, where the first
// connection stops.
func (s *stream) goParallel(next int) {
	s.parallel = true
	s.next = next
	s.consumed.Store(int64(s.next))
	s.wg.Add(1)
	go s.dispatch(s.next, s.f.budgetFor(s.src, s.d))
}

// dispatch starts a fetch for each range in turn, never more than a window
// ahead of the reader and never beyond the host's connection budget.
func (s *stream) dispatch(from int, b *budget) {
	defer s.wg.Done()
	for i := from; i < s.n; i++ {
		s.mu.Lock()
		for i >= s.next+streamWindow && s.err == nil {
			s.cond.Wait()
		}
		failed := s.err != nil
		s.mu.Unlock()
		if failed {
			return
		}
		if err := b.acquire(s.ctx, s.left); err != nil {
			s.fail(err)
			return
		}
		s.wg.Add(1)
		go func() {
			defer b.release()
			s.fetch(i)
		}()
	}
}

// left is the blob's unread byte count: the budget favours blobs with more
// to go.
func (s *stream) left() int64 { return s.d.Size - s.consumed.Load()*streamChunk }

// fetch reads range i, continuing from its last byte after a broken
// connection.
func (s *stream) fetch(i int) {
	defer s.wg.Done()
	off := int64(i) * streamChunk
	n := min(streamChunk, s.d.Size-off)
	bp := chunkPool.Get().(*[]byte)
	buf := (*bp)[:n]
	got, failures := int64(0), 0
	for got < n {
		m, err := s.fetchOnce(off+got, buf[got:])
		got += m
		if m > 0 {
			failures = 0
		}
		if got == n {
			break
		}
		if err == nil {
			err = fmt.Errorf("%s: connection ended early", s.d.Digest)
		}
		failures++
		if s.ctx.Err() != nil || !retryable(err) || failures > s.f.o.retries {
			if s.ctx.Err() != nil {
				err = s.ctx.Err()
			} else if long := waitTooLong(err); long != nil {
				err = long
			}
			chunkPool.Put(bp)
			s.fail(err)
			return
		}
		s.f.o.log.Debug("fetch: range failed, continuing from its last byte", "digest", s.d.Digest, "offset", off+got, "error", err)
		if err := sleep(s.ctx, backoff(err, failures, s.f.o.retryDelay)); err != nil {
			chunkPool.Put(bp)
			s.fail(err)
			return
		}
	}
	*bp = buf
	s.mu.Lock()
	s.ready[i] = bp
	s.cond.Broadcast()
	s.mu.Unlock()
}

// fetchOnce makes one request for the bytes at off filling buf and returns
// how many arrived. A connection that delivers nothing for the stall
// timeout is dropped (errStalled), to be continued from its last byte.
func (s *stream) fetchOnce(off int64, buf []byte) (int64, error) {
	rctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	var stalled atomic.Bool
	watchdog := time.AfterFunc(s.f.o.stall, func() {
		stalled.Store(true)
		cancel()
	})
	defer watchdog.Stop()
	body, err := s.src.ReadRange(rctx, s.d, off, int64(len(buf)))
	if errors.Is(err, ErrRangeIgnored) {
		body.Close()
		return 0, permanent(fmt.Errorf("%s: the server stopped honouring byte ranges mid-blob", s.d.Digest))
	}
	if err != nil {
		if stalled.Load() && s.ctx.Err() == nil {
			return 0, fmt.Errorf("%w: no answer for %v", errStalled, s.f.o.stall)
		}
		return 0, err
	}
	defer body.Close()
	var got, fresh int64
	for got < int64(len(buf)) {
		m, rerr := body.Read(buf[got:])
		got += int64(m)
		// A trickle (less than minProgress per window) is a stall.
		if fresh += int64(m); fresh >= minProgress {
			fresh = 0
			watchdog.Reset(s.f.o.stall)
		}
		if rerr != nil {
			if stalled.Load() && s.ctx.Err() == nil {
				return got, fmt.Errorf("%w: no data for %v", errStalled, s.f.o.stall)
			}
			if rerr == io.EOF {
				return got, nil
			}
			return got, rerr
		}
	}
	return got, nil
}

func (s *stream) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	s.cancel()
}

// readRanges delivers the fetched ranges in order, waiting for the next
// one when it has not arrived yet.
func (s *stream) readRanges(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == errClosed {
		return 0, s.err
	}
	for len(s.cur) == 0 {
		if s.held != nil {
			chunkPool.Put(s.held)
			s.held = nil
		}
		if s.next == s.n {
			return 0, io.EOF
		}
		for s.ready[s.next] == nil && s.err == nil {
			s.cond.Wait()
		}
		if s.ready[s.next] == nil {
			return 0, s.err
		}
		s.held = s.ready[s.next]
		s.cur = *s.held
		delete(s.ready, s.next)
		s.next++
		s.consumed.Store(int64(s.next))
		s.cond.Broadcast() // the window moved
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	s.pos += int64(n)
	return n, nil
}

// Close stops the fetches and waits for them.
func (s *stream) Close() error {
	s.first.Close()
	s.fail(errClosed)
	s.wg.Wait()
	return nil
}

var errClosed = errors.New("fetch: stream closed")
