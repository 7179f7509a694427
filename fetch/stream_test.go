package fetch

import (
	"bytes"
	"context"
	"io"
	"testing"
)

func TestStreamInOrderOverSeveralConnections(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{barrier: 2})
	blob, d := testBlob(1, 5<<20+123)
	srv.add(blob, d)
	src := &counting{RangeReader: srv.source()}
	f := newFetcher(t, t.TempDir())
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
	// The barrier only opens once two requests are in flight at once.
	if src.maxOpen() < 2 {
		t.Errorf("at most %d requests in flight, want parallel ranges", src.maxOpen())
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
	f := newFetcher(t, t.TempDir())
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
	// The first answer after the probe is a 503 (an overloaded server).
	srv := newBlobServer(t, faults{failNext: []int{0, 503, 503}})
	blob, d := testBlob(3, 4<<20)
	srv.add(blob, d)
	f := newFetcher(t, t.TempDir())
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
	f := newFetcher(t, t.TempDir())
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
