package fetch

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// testBlob is deterministic pseudo-random content and its descriptor.
func testBlob(seed uint64, size int) ([]byte, ocispec.Descriptor) {
	b := make([]byte, size)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(size), byte(size >> 8), byte(size >> 16)})
	r.Read(b)
	return b, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(b), Size: int64(size)}
}

// faults are the server's fault switches. They stand in for servers and
// networks a test cannot get otherwise: each says which real behaviour it
// copies. The zero value serves faithfully.
type faults struct {
	// ignoreRange answers 200 with the whole blob, as some proxies and
	// static servers do.
	ignoreRange bool
	// corrupt flips the byte at corruptAt in every response that carries
	// it (bit rot or a broken proxy: a fault a real server cannot be
	// made to produce).
	corrupt   bool
	corruptAt int64
	// stall makes the first response whose range starts at stallAt stop
	// after stallAfter bytes and hang until the client gives up (a
	// wedged connection).
	stall               bool
	stallAt, stallAfter int64
	// pauseAt blocks every response once this many body bytes went out
	// in all, until unpause (a link that stops delivering); 0 for none.
	pauseAt int64
	// failNext answers the next len(failNext) requests with these
	// statuses (0: answer normally), and Retry-After: 0 (or retryAfter).
	failNext   []int
	retryAfter string
	// barrier holds every response's body until this many requests are
	// in flight at once (0: none), proving they run in parallel.
	barrier int
}

// blobServer serves blobs at /blobs/<digest> with net/http's ServeContent,
// which implements Range requests for real (RFC 9110 section 14), with the
// faults it was started with.
type blobServer struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	f       faults
	blobs   map[digest.Digest][]byte
	reqs    []string // the Range header of each request ("" for none)
	stalled bool
	resume  chan struct{}
	// inflight counts requests being answered at once (for barrier).
	inflight    int
	barrierOpen chan struct{}

	sent atomic.Int64 // body bytes written
	// authorized counts requests that carried an Authorization header.
	authorized atomic.Int64
}

func newBlobServer(t testing.TB, f faults) *blobServer {
	s := &blobServer{f: f, blobs: map[digest.Digest][]byte{}, resume: make(chan struct{}), barrierOpen: make(chan struct{})}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

func (s *blobServer) add(b []byte, d ocispec.Descriptor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[d.Digest] = b
}

// source is an HTTPSource for this server.
func (s *blobServer) source() *HTTPSource {
	return &HTTPSource{URL: func(d ocispec.Descriptor) string { return s.URL + "/blobs/" + d.Digest.String() }}
}

func (s *blobServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

func (s *blobServer) unpause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.pauseAt = 0
	close(s.resume)
}

func (s *blobServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.authorized.Add(1)
	}
	s.mu.Lock()
	b, ok := s.blobs[digest.Digest(strings.TrimPrefix(r.URL.Path, "/blobs/"))]
	s.reqs = append(s.reqs, r.Header.Get("Range"))
	var fail int
	if len(s.f.failNext) > 0 {
		fail, s.f.failNext = s.f.failNext[0], s.f.failNext[1:]
	}
	if s.f.ignoreRange {
		r.Header.Del("Range")
	}
	start := rangeStart(r.Header.Get("Range"))
	stall := s.f.stall && !s.stalled && start == s.f.stallAt
	if stall {
		s.stalled = true
	}
	corruptAt, stallAfter, barrier := int64(-1), s.f.stallAfter, s.f.barrier
	if s.f.corrupt {
		corruptAt = s.f.corruptAt
	}
	s.inflight++
	if barrier > 0 && s.inflight >= barrier {
		select {
		case <-s.barrierOpen:
		default:
			close(s.barrierOpen)
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	switch {
	case !ok:
		http.NotFound(w, r)
		return
	case fail != 0:
		w.Header().Set("Retry-After", "0")
		if s.f.retryAfter != "" {
			w.Header().Set("Retry-After", s.f.retryAfter)
		}
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	cw := &faultWriter{ResponseWriter: w, s: s, ctx: r.Context(), off: start, stall: stall,
		corruptAt: corruptAt, stallAfter: stallAfter, barrier: barrier}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(b))
}

// rangeStart is the first offset a "bytes=A-B" header asks for (0 for
// none).
func rangeStart(h string) int64 {
	v, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return 0
	}
	a, _, _ := strings.Cut(v, "-")
	n, _ := strconv.ParseInt(a, 10, 64)
	return n
}

// faultWriter is the body writer that applies the server's faults.
type faultWriter struct {
	http.ResponseWriter
	s       *blobServer
	ctx     context.Context
	off     int64 // blob offset of the next byte
	written int64
	stall   bool
	waited  bool

	corruptAt, stallAfter int64
	barrier               int
}

func (w *faultWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if code == http.StatusOK {
		w.off = 0
	}
	w.ResponseWriter.(http.Flusher).Flush()
}

func (w *faultWriter) Write(p []byte) (int, error) {
	s := w.s
	if w.barrier > 0 && !w.waited {
		w.waited = true
		select {
		case <-s.barrierOpen:
		case <-w.ctx.Done():
			return 0, w.ctx.Err()
		}
	}
	p = bytes.Clone(p)
	if c := w.corruptAt - w.off; w.corruptAt >= 0 && c >= 0 && c < int64(len(p)) {
		p[c] ^= 0xff
	}
	if w.stall && w.written+int64(len(p)) > w.stallAfter {
		n, err := w.write(p[:max(0, w.stallAfter-w.written)])
		if err != nil {
			return n, err
		}
		<-w.ctx.Done()
		return n, w.ctx.Err()
	}
	s.mu.Lock()
	pauseAt, resume := s.f.pauseAt, s.resume
	s.mu.Unlock()
	if pauseAt > 0 {
		// Reserve the bytes before writing them, so that all responses
		// together stop exactly at pauseAt.
		k := int64(len(p))
		for {
			cur := s.sent.Load()
			k = min(k, max(0, pauseAt-cur))
			if s.sent.CompareAndSwap(cur, cur+k) {
				break
			}
		}
		n, err := w.ResponseWriter.Write(p[:k])
		w.off += int64(n)
		w.written += int64(n)
		w.ResponseWriter.(http.Flusher).Flush()
		if err != nil || k == int64(len(p)) {
			return n, err
		}
		select {
		case <-resume:
		case <-w.ctx.Done():
			return n, w.ctx.Err()
		}
		m, err := w.write(p[k:])
		return n + m, err
	}
	return w.write(p)
}

func (w *faultWriter) write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.off += int64(n)
	w.written += int64(n)
	w.s.sent.Add(int64(n))
	if w.stall {
		w.ResponseWriter.(http.Flusher).Flush()
	}
	return n, err
}

// counting wraps a RangeReader to count the body bytes the client read,
// the requests it made and how many were open at once (from the call to
// the body's Close, which is exactly when the client holds a connection
// slot; the server's count can lag behind).
type counting struct {
	RangeReader
	read  atomic.Int64
	calls atomic.Int64

	mu                    sync.Mutex
	inflight, maxInflight int
}

func (c *counting) ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	c.calls.Add(1)
	c.open(1)
	body, err := c.RangeReader.ReadRange(ctx, d, off, n)
	if body == nil {
		c.open(-1)
		return nil, err
	}
	return &countingBody{ReadCloser: body, c: c}, err
}

func (c *counting) open(k int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight += k
	c.maxInflight = max(c.maxInflight, c.inflight)
}

func (c *counting) maxOpen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxInflight
}

type countingBody struct {
	io.ReadCloser
	c    *counting
	once sync.Once
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error {
	b.once.Do(func() { b.c.open(-1) })
	return b.ReadCloser.Close()
}

// sumReporter adds up progress.Advanced bytes and closes reached once the
// sum gets to at.
type sumReporter struct {
	n       atomic.Int64
	at      int64
	once    sync.Once
	reached chan struct{}
}

func newSumReporter(at int64) *sumReporter {
	return &sumReporter{at: at, reached: make(chan struct{})}
}

func (r *sumReporter) Report(e progress.Event) {
	if e.Kind != progress.Advanced {
		return
	}
	if r.n.Add(e.Bytes) >= r.at && r.at > 0 {
		r.once.Do(func() { close(r.reached) })
	}
}
