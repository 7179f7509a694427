package fetch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// testOptions make small blobs behave like large ones: ranges from 1 MiB,
// four connections, quick retries, frequent checkpoints.
func testOptions(t *testing.T, dir string) []Option {
	return []Option{
		WithDir(dir), WithThreshold(1 << 20), WithChunkSize(1 << 20), WithConnections(4),
		WithRetries(5, time.Millisecond), WithStallTimeout(20 * time.Second),
		WithCheckpoint(256<<10, 20*time.Millisecond), WithLogger(testLogger(t)),
		// Loopback is fast: tell the probe every link is slow, so ranges
		// go in parallel as on the links this package is for.
		WithLinkProbe(0, 1<<62),
	}
}

func newFetcher(t *testing.T, dir string, opts ...Option) *Fetcher {
	t.Helper()
	f, err := New(append(testOptions(t, dir), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fetchOK fetches d and checks the blob it gets is want.
func fetchOK(t *testing.T, f *Fetcher, src RangeReader, d ocispec.Descriptor, want []byte) {
	t.Helper()
	b, err := f.Fetch(context.Background(), src, d)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fetched %d bytes that differ from the %d of the blob", len(got), len(want))
	}
	if b.Descriptor().Digest != d.Digest {
		t.Errorf("Blob.Descriptor() = %v, want %v", b.Descriptor(), d)
	}
}

// testLogger sends debug logs to the test log, so a failure shows what the
// fetcher did.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// waitQueued waits until n acquirers wait on b.
func waitQueued(b *budget, n int) {
	for b.Waiting() < n {
	}
}
