package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// trickler serves one blob; its first response trickles one byte at a
// time, a pause between each, until the client hangs up (a server, or a
// middlebox, that keeps a connection open without delivering: 1 byte
// every 5 s in the wild, scaled down here with the client's stall window).
// Later requests are served properly, honouring Range.
type trickler struct {
	blob []byte
	mu   sync.Mutex
	reqs []string
}

func (s *trickler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r.Header.Get("Range"))
	first := len(s.reqs) == 1
	s.mu.Unlock()
	if !first {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.blob))
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(s.blob)))
	w.WriteHeader(http.StatusOK)
	for i := 0; i < len(s.blob); i++ {
		w.Write(s.blob[i : i+1])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (s *trickler) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// TestStreamTrickleIsAStall: a streamed blob whose connection trickles a
// byte at a time is a stall, not a slow link: the connection is replaced
// and the blob continues from its last byte.
func TestStreamTrickleIsAStall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	blob, d := testBlob(11, 256<<10)
	tr := &trickler{blob: blob}
	srv := httptest.NewServer(tr)
	defer srv.Close()
	f := newFetcher(t, t.TempDir(), WithStallTimeout(100*time.Millisecond), WithRetries(20, time.Millisecond))
	src := &counting{RangeReader: &HTTPSource{URL: func(ocispec.Descriptor) string { return srv.URL + "/blob" }}}
	rc, err := f.Stream(ctx, src, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("stream of a trickling server: %d bytes, %v", len(got), err)
	}
	// Replaced (more than one request), and continued from its last byte
	// (no byte read twice).
	if reqs := tr.requests(); len(reqs) < 2 {
		t.Errorf("requests %q: want the trickle replaced", reqs)
	}
	if read := src.read.Load(); read != d.Size {
		t.Errorf("client read %d bytes of a %d-byte blob, want each once", read, d.Size)
	}
}

// TestStreamContinuesStalledBody: a streamed blob (below the size that
// takes ranges) whose server sends headers and half the body and then
// stalls continues from its last byte on a new connection.
func TestStreamContinuesStalledBody(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	blob, d := testBlob(12, 256<<10)
	half := int64(128 << 10)
	srv := newBlobServer(t, faults{stall: true, stallAt: 0, stallAfter: half})
	srv.add(blob, d)
	f := newFetcher(t, t.TempDir(), WithStallTimeout(100*time.Millisecond), WithRetries(20, time.Millisecond))
	src := &counting{RangeReader: srv.source()}
	rc, err := f.Stream(ctx, src, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("stream of a stalling server: %d bytes, %v", len(got), err)
	}
	// Replaced (more than one request), and continued from its last byte
	// (no byte read twice).
	if reqs := srv.requests(); len(reqs) < 2 {
		t.Errorf("requests %q: want the stalled body replaced", reqs)
	}
	if read := src.read.Load(); read != d.Size {
		t.Errorf("client read %d bytes of a %d-byte blob, want each once", read, d.Size)
	}
}

// TestStreamFromSilentServerFails: a server that accepts connections and
// never answers (a wedged host, or a firewall that swallows packets after
// the handshake) fails the stream after the retries, each bounded by the
// stall window, with ErrUnavailable.
func TestStreamFromSilentServerFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	_, d := testBlob(13, 1000)
	f := newFetcher(t, t.TempDir(), WithStallTimeout(50*time.Millisecond), WithRetries(2, time.Millisecond))
	src := &counting{RangeReader: &HTTPSource{URL: func(ocispec.Descriptor) string { return "http://" + l.Addr().String() + "/blob" }}}
	_, err = f.Stream(ctx, src, d)
	if !errors.Is(err, errdefs.ErrUnavailable) || ctx.Err() != nil {
		t.Errorf("Stream from a silent server: got %v, want ErrUnavailable before the safety net", err)
	}
	if calls := src.calls.Load(); calls != 3 {
		t.Errorf("%d requests, want 3 (the first and 2 retries)", calls)
	}
}

// TestFetchTrickleIsAStall: the same trickle on a download into the cache
// (ranged connections) is replaced too, and the blob continues from its
// last byte.
func TestFetchTrickleIsAStall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	blob, d := testBlob(14, 256<<10)
	tr := &trickler{blob: blob}
	srv := httptest.NewServer(tr)
	defer srv.Close()
	f := newFetcher(t, t.TempDir(), WithStallTimeout(100*time.Millisecond), WithRetries(20, time.Millisecond))
	src := &counting{RangeReader: &HTTPSource{URL: func(ocispec.Descriptor) string { return srv.URL + "/blob" }}}
	b, err := f.Fetch(ctx, src, d)
	if err != nil {
		t.Fatalf("Fetch from a trickling server: %v", err)
	}
	got, err := io.ReadAll(b)
	b.Close()
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("fetched %d bytes (%v) that are not the blob", len(got), err)
	}
	if reqs := tr.requests(); len(reqs) < 2 {
		t.Errorf("requests %q: want the trickle replaced", reqs)
	}
}
