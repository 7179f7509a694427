package registry_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// bodyLimit is a fake for a proxy in front of the registry (nginx's
// client_max_body_size, Cloudflare's request limit) that refuses request
// bodies over limit bytes with 413: at once when Content-Length says so
// (and then, like nginx's lingering close, reads and discards the body
// the client may still be sending, so the client reads the 413 rather
// than the reset Go's server sends when it closes on unread bytes, which
// a client on a loaded machine, still writing, would see instead); after
// reading limit+1 bytes when the length is unknown. It buffers what it
// lets through, as such proxies do, and records the largest body it
// forwarded to the registry.
type bodyLimit struct {
	limit   int64
	mu      sync.Mutex
	largest int64
	refused int
}

func (b *bodyLimit) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch && r.Method != http.MethodPut && r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > b.limit {
			b.refuse(w)
			_, _ = io.Copy(io.Discard, r.Body) // lingering close
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, b.limit+1))
		if err != nil {
			return // the client went away
		}
		if int64(len(body)) > b.limit {
			b.refuse(w)
			return
		}
		b.mu.Lock()
		b.largest = max(b.largest, int64(len(body)))
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

func (b *bodyLimit) refuse(w http.ResponseWriter) {
	b.mu.Lock()
	b.refused++
	b.mu.Unlock()
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex() // the body may be read after the answer
	const msg = "413 Request Entity Too Large\n"
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "text/plain")
	// A complete answer (not chunked): a client that waits for it to end
	// before it stops sending must not wait on the draining.
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = io.WriteString(w, msg)
	_ = rc.Flush()
}

func (b *bodyLimit) stats() (largest int64, refused int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.largest, b.refused
}

// cutOnce is a fake for a connection dropped mid-request (a proxy timeout,
// a reset link), which a healthy in-process registry cannot produce: the
// first request match accepts passes its first after bytes to the
// registry, whose body then fails as a dropped connection does; the
// registry's answer is thrown away and the client's connection closed.
type cutOnce struct {
	match func(*http.Request) bool
	after int64
	fired atomic.Bool
}

func (c *cutOnce) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.match(r) || !c.fired.CompareAndSwap(false, true) {
			h.ServeHTTP(w, r)
			return
		}
		r.Body = &cutBody{r: r.Body, left: c.after}
		h.ServeHTTP(discard{header: http.Header{}}, r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	})
}

// cutBody returns left bytes, then fails.
type cutBody struct {
	r    io.ReadCloser
	left int64
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutBody) Close() error { return c.r.Close() }

// discard is a ResponseWriter whose answer goes nowhere.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// chunkStart is the first offset of a PATCH's Content-Range, -1 without one.
func chunkStart(r *http.Request) int64 {
	v := r.Header.Get("Content-Range")
	start, _, ok := strings.Cut(v, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// patchLog records the PATCH requests that reach the registry: their
// Content-Range start and body length.
type patchLog struct {
	mu      sync.Mutex
	patches []patchReq
}

type patchReq struct {
	start, length int64
}

func (l *patchLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			l.mu.Lock()
			l.patches = append(l.patches, patchReq{chunkStart(r), r.ContentLength})
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (l *patchLog) get() []patchReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]patchReq(nil), l.patches...)
}

// minChunkHeader adds OCI-Chunk-Min-Length to the answers that open an
// upload session, as a registry with a minimum chunk size does
// (distribution spec 1.1); the in-process registry has none.
func minChunkHeader(n int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
				w.Header().Set("OCI-Chunk-Min-Length", strconv.FormatInt(n, 10))
			}
			h.ServeHTTP(w, r)
		})
	}
}

// chain applies wrappers, the first outermost.
func chain(ws ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		for i := len(ws) - 1; i >= 0; i-- {
			h = ws[i](h)
		}
		return h
	}
}
