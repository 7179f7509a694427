package copier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testregistry"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestFastLinkOneGetPerBlob: over a link the probe finds fast (the
// registry in process, on loopback) every blob is fetched with one GET,
// whether it goes through the cache (oci:) or is streamed (to another
// registry): layers above the range threshold are not split, and the
// first request is not cut short for a second. The probe runs with its
// default bar.
func TestFastLinkOneGetPerBlob(t *testing.T) {
	t.Parallel()
	checkOneGetPerBlob(t, 7<<20, fetch.DefaultLinkProbe)
}

// TestFastLinkProbeUnderContention: the same with the CPU taken by busy
// loops in this process (one per processor, as another job on a small
// machine would): the connection is slower to be read, not slower to
// deliver, and the probe, which sees the bytes queued when the reader gets
// to them, still keeps one request per blob. The layer is large and the
// probe window short so that the probe decides while the blob is under
// way (the test checks it did).
func TestFastLinkProbeUnderContention(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := range 1 << 16 {
					x += i
				}
				if x == -1 {
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	checkOneGetPerBlob(t, 48<<20, 30*time.Millisecond)
}

// checkOneGetPerBlob copies an image with one random layer of size bytes
// from a registry in process, into a layout and to another registry, with
// the link probe's window set to window, and checks one GET per blob and,
// when the layer outlasts the window, that the probe found the link fast.
func checkOneGetPerBlob(t *testing.T, size int, window time.Duration) {
	src := testregistry.New(t, testregistry.Options{})
	// A random layer (no gzip to build): large enough to be split into
	// ranges, in the cache and when streamed, were the link slow.
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{byte(size)}).Read(b)
	layers := []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: src.PutBlob(t, "app", b), Size: int64(len(b))}}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	m, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: src.PutBlob(t, "app", config), Size: int64(len(config))},
		Layers: layers,
	})
	if err != nil {
		t.Fatal(err)
	}
	src.PutManifest(t, "app", "1", m, ocispec.MediaTypeImageManifest)
	for _, tc := range []struct{ name, dst string }{
		{"into a layout, through the cache", "oci:" + filepath.Join(t.TempDir(), "layout") + ":1"},
		{"to another registry, streamed", "docker://" + testregistry.New(t, testregistry.Options{}).Ref("copy:1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var buf bytes.Buffer
			logged := func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
			f, err := fetch.New(fetch.WithDir(t.TempDir()), fetch.WithThreshold(4<<20),
				fetch.WithLinkProbe(window, fetch.DefaultFastRate),
				fetch.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			o := insecure
			o.Fetcher = f
			src.ResetRequests()
			if _, err := copier.Copy(context.Background(), parse(t, "docker://"+src.Ref("app:1")), parse(t, tc.dst), o); err != nil {
				t.Fatal(err)
			}
			gets := map[string]int{}
			for _, r := range src.Requests() {
				if r.Method == "GET" && strings.Contains(r.Path, "/blobs/") {
					gets[r.Path[strings.LastIndex(r.Path, "/")+1:]]++
				}
			}
			if len(gets) != len(layers)+1 {
				t.Errorf("GETs for %d blobs, want the image's %d: %v", len(gets), len(layers)+1, gets)
			}
			for dg, n := range gets {
				if n != 1 {
					t.Errorf("blob %s fetched with %d GETs, want 1; the probe said:\n%s", dg, n, probeLines(logged()))
				}
			}
			if window < time.Second && size >= 32<<20 && !strings.Contains(logged(), "fast connection, one request") {
				t.Errorf("the probe did not decide while the layer was under way; it said:\n%s", probeLines(logged()))
			}
		})
	}
}

// probeLines is the lines of a log about the link probe's decisions.
func probeLines(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "connection") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
