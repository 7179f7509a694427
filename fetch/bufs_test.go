package fetch

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pacedSource serves a blob from memory the way a slow link does: each
// read returns at most per bytes (less than the reader asks for, so the
// probe counts it as waiting on the link) after a pause. It records the
// buffer sizes the reader of the request from byte 0 (the first
// connection) offered.
type pacedSource struct {
	blob  []byte
	per   int
	pause time.Duration

	mu    sync.Mutex
	first []int
}

func (s *pacedSource) ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	end := int64(len(s.blob))
	if n >= 0 {
		end = min(end, off+n)
	}
	return &pacedBody{s: s, r: bytes.NewReader(s.blob[off:end]), first: off == 0}, nil
}

func (s *pacedSource) firstAsks() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.first...)
}

type pacedBody struct {
	s     *pacedSource
	r     *bytes.Reader
	first bool
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if b.first {
		b.s.mu.Lock()
		b.s.first = append(b.s.first, len(p))
		b.s.mu.Unlock()
	}
	time.Sleep(b.s.pause)
	return b.r.Read(p[:min(len(p), b.s.per)])
}

func (b *pacedBody) Close() error { return nil }

// TestFirstConnectionBufferShrinksOnSlowLink: the first connection reads
// into the fast link's buffer until the probe finds the link slow, and
// then into a range connection's, without losing what it had read into
// the first (reads of more than a range buffer's size are in flight when
// the probe decides).
func TestFirstConnectionBufferShrinksOnSlowLink(t *testing.T) {
	t.Parallel()
	// Ranges of 4 MiB: the probe decides after 1 MiB (probeEvidence), well
	// inside the first connection's first range, so its request goes on.
	blob, d := testBlob(17, 16<<20)
	src := &pacedSource{blob: blob, per: 48 << 10, pause: 2 * time.Millisecond}
	f := newFetcher(t, t.TempDir(), WithChunkSize(4<<20), WithLinkProbe(30*time.Millisecond, 1<<62))
	fetchOK(t, f, src, d, blob)

	asks := src.firstAsks()
	if len(asks) == 0 || asks[0] != bufSize {
		t.Fatalf("the first connection's reads offered %v bytes; want %d first", asks[:min(len(asks), 3)], bufSize)
	}
	swapped := -1
	for i, n := range asks {
		switch {
		case n == rangeBufSize && swapped < 0:
			swapped = i
		case n > rangeBufSize && swapped >= 0:
			t.Fatalf("read %d offered %d bytes, after the connection had gone to %d-byte reads", i, n, rangeBufSize)
		}
	}
	if swapped < 0 {
		t.Fatalf("the first connection kept its %d-byte buffer on a slow link (%d reads: %v)", bufSize, len(asks), asks)
	}
}
