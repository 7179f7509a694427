package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// streamChunk is the range one connection fetches at a time when a blob is
// streamed rather than cached. Small enough that a few per blob stay cheap
// in memory, large enough that a request's round trip is a fraction of its
// transfer on a slow link.
const streamChunk = 1 << 20

// Stream returns blob d as a reader that yields its bytes in order while
// up to the host's connection budget fetches the ranges ahead of the
// reader in parallel. At most one window of ranges (one per connection)
// sits in memory and nothing touches the disk: it is for destinations that
// take a stream (a registry upload, an archive being written), where a
// cached copy would only cost disk. A connection that breaks continues
// from its last byte. Stream does not verify the content: the caller's
// verifying reader does, as for any stream, and reports progress as it
// reads. Blobs under the Fetcher's
// threshold, and servers that ignore Range, are read over one connection.
func (f *Fetcher) Stream(ctx context.Context, src RangeReader, d ocispec.Descriptor) (io.ReadCloser, error) {
	if d.Size < f.o.threshold || d.Size < 2*streamChunk {
		return src.ReadRange(ctx, d, 0, -1)
	}
	// The first range goes alone: a server that ignores Range answers it
	// with the whole blob, which then is the stream.
	first, err := src.ReadRange(ctx, d, 0, streamChunk)
	if errors.Is(err, ErrRangeIgnored) {
		return first, nil
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{
		ctx: ctx, cancel: cancel, f: f, src: src, d: d, budget: f.budgetFor(src, d),
		n:      int((d.Size + streamChunk - 1) / streamChunk),
		window: max(2, f.o.conns/2),
		ready:  map[int][]byte{},
	}
	s.cond = sync.NewCond(&s.mu)
	s.wg.Add(1)
	go s.dispatch(first)
	return s, nil
}

// stream is the reader Stream returns.
type stream struct {
	ctx    context.Context
	cancel context.CancelFunc
	f      *Fetcher
	src    RangeReader
	d      ocispec.Descriptor
	budget *budget
	n      int // number of ranges
	window int
	wg     sync.WaitGroup
	// consumed mirrors next for the budget, which asks without our lock.
	consumed atomic.Int64

	mu    sync.Mutex
	cond  *sync.Cond
	ready map[int][]byte // fetched ranges not yet read
	next  int            // the range the reader is on
	cur   []byte         // what is left of range next-1
	err   error
}

func (s *stream) bounds(i int) (off, n int64) {
	off = int64(i) * streamChunk
	return off, min(streamChunk, s.d.Size-off)
}

// dispatch starts a fetch for each range in turn, never more than a window
// ahead of the reader and never beyond the host's connection budget.
func (s *stream) dispatch(first io.ReadCloser) {
	defer s.wg.Done()
	s.wg.Add(1)
	go s.fetch(0, first)
	for i := 1; i < s.n; i++ {
		s.mu.Lock()
		for i >= s.next+s.window && s.err == nil {
			s.cond.Wait()
		}
		failed := s.err != nil
		s.mu.Unlock()
		if failed {
			return
		}
		if err := s.budget.acquire(s.ctx, s.left); err != nil {
			s.fail(err)
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.budget.release()
			s.fetch(i, nil)
		}()
	}
}

// left is the blob's unread byte count: the budget favours blobs with more
// to go.
func (s *stream) left() int64 { return s.d.Size - s.consumed.Load()*streamChunk }

// fetch reads range i (from body when the request is already made),
// continuing from its last byte after a broken connection.
func (s *stream) fetch(i int, body io.ReadCloser) {
	defer s.wg.Done()
	off, n := s.bounds(i)
	buf := make([]byte, n)
	got, failures := int64(0), 0
	for got < n {
		var err error
		if body == nil {
			body, err = s.src.ReadRange(s.ctx, s.d, off+got, n-got)
			if errors.Is(err, ErrRangeIgnored) {
				body.Close()
				err = fmt.Errorf("%s: the server stopped honouring byte ranges mid-blob", s.d.Digest)
				s.fail(&permanentError{err})
				return
			}
		}
		if err == nil {
			var m int
			m, err = io.ReadFull(body, buf[got:])
			body.Close()
			body = nil
			if m > 0 {
				got += int64(m)
				failures = 0
			}
			if got == n {
				break
			}
			if err == nil || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("%s: connection ended early", s.d.Digest)
			}
		}
		failures++
		if s.ctx.Err() != nil {
			s.fail(s.ctx.Err())
			return
		}
		if !retryable(err) || failures > s.f.o.retries {
			s.fail(err)
			return
		}
		s.f.o.log.Debug("fetch: range failed, continuing from its last byte", "digest", s.d.Digest, "offset", off+got, "error", err)
		if err := sleep(s.ctx, backoff(err, failures, s.f.o.retryDelay)); err != nil {
			s.fail(err)
			return
		}
	}
	s.mu.Lock()
	s.ready[i] = buf
	s.cond.Broadcast()
	s.mu.Unlock()
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

// Read implements io.Reader: bytes in blob order, waiting for the next
// range when it has not arrived yet.
func (s *stream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == errClosed {
		return 0, s.err
	}
	for len(s.cur) == 0 {
		if s.next == s.n {
			return 0, io.EOF
		}
		for s.ready[s.next] == nil && s.err == nil {
			s.cond.Wait()
		}
		if s.err != nil && s.ready[s.next] == nil {
			return 0, s.err
		}
		s.cur = s.ready[s.next]
		delete(s.ready, s.next)
		s.next++
		s.consumed.Store(int64(s.next))
		s.cond.Broadcast() // the window moved
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// Close stops the fetches and waits for them.
func (s *stream) Close() error {
	s.fail(errClosed)
	s.wg.Wait()
	return nil
}

var errClosed = errors.New("fetch: stream closed")
