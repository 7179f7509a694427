package fetch

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// slowFetcher treats every link as slow, so streams go parallel at once
// even from a loopback server.
func slowFetcher(t *testing.T) *Fetcher {
	f := newFetcher(t, t.TempDir())
	f.o.stream = streamTuning{probe: 0, fast: 1 << 62}
	return f
}

func TestStreamInOrderOverSeveralConnections(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	blob, d := testBlob(1, 9<<20+123)
	srv.add(blob, d)
	src := &counting{RangeReader: srv.source()}
	f := slowFetcher(t)
	rc, err := f.Stream(context.Background(), src, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Fatal("streamed bytes differ from the blob")
	}
	// Without a probe, one request per 1 MiB range.
	if calls, want := src.calls.Load(), int64((d.Size+streamChunk-1)/streamChunk); calls != want {
		t.Errorf("%d requests, want %d: a range each", calls, want)
	}
	if sent := srv.sent.Load(); sent != d.Size {
		t.Errorf("server sent %d bytes, want exactly the blob's %d", sent, d.Size)
	}
	if entries, _ := f.Cache().List(); len(entries) != 0 {
		t.Errorf("a stream left %d cache entries; it must not touch the disk", len(entries))
	}
}

func TestStreamServerIgnoringRange(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{ignoreRange: true})
	blob, d := testBlob(2, 3<<20)
	srv.add(blob, d)
	f := slowFetcher(t)
	rc, err := f.Stream(context.Background(), srv.source(), d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, blob) {
		t.Fatal("streamed bytes differ from the blob")
	}
	if n := len(srv.requests()); n != 1 || srv.sent.Load() != d.Size {
		t.Errorf("%d requests and %d bytes sent; want one full download", n, srv.sent.Load())
	}
}

func TestStreamRetriesFailedRanges(t *testing.T) {
	t.Parallel()
	// The first range requests meet 503s (an overloaded server).
	srv := newBlobServer(t, faults{failNext: []int{0, 503, 503}})
	blob, d := testBlob(3, 6<<20)
	srv.add(blob, d)
	f := slowFetcher(t)
	rc, err := f.Stream(context.Background(), srv.source(), d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("stream after 503s: %v", err)
	}
}

func TestStreamCloseEarly(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	blob, d := testBlob(4, 6<<20)
	srv.add(blob, d)
	f := slowFetcher(t)
	rc, err := f.Stream(context.Background(), srv.source(), d)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, blob[:1000]) {
		t.Fatalf("first bytes: %v", err)
	}
	rc.Close() // returns only once every fetch has stopped
	if _, err := rc.Read(buf); err == nil {
		t.Error("a closed stream still reads")
	}
}

// TestStreamFastLinkStaysSingle: on a link faster than the probe's bar, the
// blob comes over one request.
func TestStreamFastLinkStaysSingle(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	blob, d := testBlob(5, 6<<20)
	srv.add(blob, d)
	f := newFetcher(t, t.TempDir())
	f.o.stream = streamTuning{probe: 0, fast: 0}
	rc, err := f.Stream(context.Background(), srv.source(), d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, blob) || len(srv.requests()) != 1 || srv.sent.Load() != d.Size {
		t.Errorf("%d requests, %d bytes sent; want one request for the %d-byte blob", len(srv.requests()), srv.sent.Load(), d.Size)
	}
}

// TestStreamReplacesStalledConnection: a range whose connection stops
// delivering (a wedged connection: the test server writes 1000 bytes of
// the range and then blocks until the client hangs up) is dropped after
// the stall timeout and continued from its last byte. The outcome is
// checked, not the timing: on a loaded machine a healthy range may also be
// taken for stalled, which costs a request, never a byte read twice.
func TestStreamReplacesStalledConnection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a safety net only
	defer cancel()
	blob, d := testBlob(6, 8<<20)
	stallAt := int64(probeSize + streamChunk)
	srv := newBlobServer(t, faults{stall: true, stallAt: stallAt, stallAfter: 1000})
	srv.add(blob, d)
	f := newFetcher(t, t.TempDir(), WithStallTimeout(200*time.Millisecond), WithRetries(50, time.Millisecond))
	f.o.stream = streamTuning{probe: 0, fast: 1 << 62}
	src := &counting{RangeReader: srv.source()}
	rc, err := f.Stream(ctx, src, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("stream with a stalled range: %v", err)
	}
	// The stalled range was continued from its last byte, not refetched:
	// the client read every byte once.
	if read := src.read.Load(); read != d.Size {
		t.Errorf("client read %d bytes for a %d-byte blob", read, d.Size)
	}
	// The stalled request and its continuation both start within the
	// 1000 bytes the stalled one could deliver.
	continued := 0
	for _, r := range srv.requests() {
		if at := rangeStart(r); at >= stallAt && at <= stallAt+1000 {
			continued++
		}
	}
	if continued < 2 {
		t.Errorf("the stalled range at %d was not replaced: requests %q", stallAt, srv.requests())
	}
}
