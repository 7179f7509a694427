package fetch

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// toxic runs toxiproxy in process in front of srv, with the given toxics
// (toxiproxy's JSON, applied to the response direction), and returns the
// proxy's URL. The network faults are toxiproxy's real ones: connections
// closed after a byte count, TCP resets, connections that go silent.
func toxic(t testing.TB, srv *blobServer, toxics ...string) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, t.Name(), "127.0.0.1:0", u.Host)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	for _, js := range toxics {
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			t.Fatalf("toxic %s: %v", js, err)
		}
	}
	return "http://" + p.Listen
}

func TestFetchThroughToxiproxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		toxics []string
	}{
		// Every connection is cut after 700 KiB, mid-body: each range
		// continues from its last byte on a new connection.
		{"every connection cut mid-body", []string{`{"type":"limit_data","attributes":{"bytes":716800}}`}},
		// Half the connections are reset (TCP RST) as the response
		// starts, the rest cut mid-body.
		{"resets", []string{
			`{"type":"reset_peer","toxicity":0.5,"attributes":{"timeout":0}}`,
			`{"type":"limit_data","attributes":{"bytes":1200000}}`,
		}},
		// A third of the connections go silent for good: the stall
		// watchdog replaces them.
		{"silent connections", []string{`{"type":"timeout","toxicity":0.3,"attributes":{"timeout":0}}`}},
		// A slow link: bandwidth-capped connections still complete.
		{"capped bandwidth", []string{`{"type":"bandwidth","attributes":{"rate":4096}}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{})
			blob, d := testBlob(90, 6<<20)
			srv.add(blob, d)
			proxy := toxic(t, srv, tc.toxics...)
			src := &counting{RangeReader: &HTTPSource{URL: func(ocispec.Descriptor) string { return proxy + "/blobs/" + d.Digest.String() }}}
			f := newFetcher(t, t.TempDir(), WithRetries(20, time.Millisecond), WithStallTimeout(500*time.Millisecond))
			fetchOK(t, f, src, d, blob)
			if got := src.read.Load(); got > d.Size+slack {
				t.Errorf("read %d bytes for a blob of %d", got, d.Size)
			}
			t.Logf("%d requests, %d bytes read", src.calls.Load(), src.read.Load())
		})
	}
}

// BenchmarkThrottledLink fetches a blob through a proxy that caps every
// connection at 10 MB/s, the case ferry is built for: throughput should
// grow with the connections.
func BenchmarkThrottledLink(b *testing.B) {
	srv := newBlobServer(b, faults{})
	blob, d := testBlob(100, 32<<20)
	srv.add(blob, d)
	proxy := toxic(b, srv, `{"type":"bandwidth","attributes":{"rate":10240}}`)
	for _, conns := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("connections=%d", conns), func(b *testing.B) {
			b.SetBytes(d.Size)
			for range b.N {
				f, err := New(WithDir(b.TempDir()), WithConnections(conns))
				if err != nil {
					b.Fatal(err)
				}
				src := &HTTPSource{URL: func(ocispec.Descriptor) string { return proxy + "/blobs/" + d.Digest.String() }}
				blob, err := f.Fetch(context.Background(), src, d)
				if err != nil {
					b.Fatal(err)
				}
				blob.Close()
			}
		})
	}
}

// BenchmarkThrottledImage fetches five blobs of an image at once through
// the same 10 MB/s-per-connection proxy: with one connection per blob the
// largest blob alone would take 5 s; shared connections finish with the
// total bandwidth.
func BenchmarkThrottledImage(b *testing.B) {
	srv := newBlobServer(b, faults{})
	var ds []ocispec.Descriptor
	var total int64
	for i, mib := range []int{48, 24, 12, 6, 3} {
		blob, d := testBlob(uint64(110+i), mib<<20)
		srv.add(blob, d)
		ds = append(ds, d)
		total += d.Size
	}
	proxy := toxic(b, srv, `{"type":"bandwidth","attributes":{"rate":10240}}`)
	b.SetBytes(total)
	for range b.N {
		f, err := New(WithDir(b.TempDir()))
		if err != nil {
			b.Fatal(err)
		}
		src := &HTTPSource{URL: func(d ocispec.Descriptor) string { return proxy + "/blobs/" + d.Digest.String() }}
		var g errgroup.Group
		for _, d := range ds {
			g.Go(func() error {
				blob, err := f.Fetch(context.Background(), src, d)
				if err == nil {
					blob.Close()
				}
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSmallBlobNotStarved: on a throttled link where the large blobs'
// ranges hold every connection, a small blob queued behind them gets the
// next free connection and completes before any of them (before, it waited
// until their ranges ran out: a 1.1 MiB layer waited 32 s for 0.7 s of
// work). The connection is held while all three queue, so the order of
// completion depends on the scheduling alone, not on timing.
func TestSmallBlobNotStarved(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	var ds []ocispec.Descriptor
	for i, size := range []int{3 << 20, 3 << 20, 256 << 10} {
		blob, d := testBlob(uint64(120+i), size)
		srv.add(blob, d)
		ds = append(ds, d)
	}
	proxy := toxic(t, srv, `{"type":"bandwidth","attributes":{"rate":4096}}`)
	src := &HTTPSource{URL: func(d ocispec.Descriptor) string { return proxy + "/blobs/" + d.Digest.String() }}
	f := newFetcher(t, t.TempDir(), WithConnections(1))
	b := f.budgetFor(src, ds[0])
	if err := b.acquire(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, len(ds))
	var g errgroup.Group
	for i, d := range ds {
		g.Go(func() error {
			blob, err := f.Fetch(context.Background(), src, d)
			if err != nil {
				return err
			}
			done <- i
			return blob.Close()
		})
		waitQueued(b, i+1)
	}
	b.release()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	close(done)
	var order []int
	for i := range done {
		order = append(order, i)
	}
	if order[0] != 2 {
		t.Errorf("blobs completed in the order %v; want the small one (2) first", order)
	}
}
