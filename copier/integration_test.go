package copier_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transports"
	"github.com/opencontainers/go-digest"
)

func parse(t *testing.T, s string) transport.Reference {
	t.Helper()
	r, err := plainHTTP.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// plainHTTP's docker transport talks plain HTTP to the test registry.
var plainHTTP = transports.New(transports.Config{Docker: docker.Config{Insecure: true}})

// insecure are the copy options of the tests over plainHTTP.
var insecure = copier.Options{}

func TestRoundTripRegistryOCIRegistryDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{})
	ix := testimage.NewIndex(false,
		manifest.Platform{OS: "linux", Architecture: "amd64"},
		manifest.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
		manifest.Platform{OS: "linux", Architecture: "s390x"})
	reg.PushIndex(t, "src", "1", ix)
	dir := t.TempDir()
	steps := []struct{ from, to string }{
		{"docker://" + reg.Ref("src:1"), "oci:" + filepath.Join(dir, "layout") + ":one"},
		{"oci:" + filepath.Join(dir, "layout") + ":one", "docker://" + reg.Ref("dst:2")},
		{"docker://" + reg.Ref("dst:2"), "dir:" + filepath.Join(dir, "dir")},
		{"dir:" + filepath.Join(dir, "dir"), "oci:" + filepath.Join(dir, "layout") + ":two"},
	}
	o := insecure
	o.MultiArch = copier.All
	for _, s := range steps {
		res, err := copier.Copy(ctx, parse(t, s.from), parse(t, s.to), o)
		if err != nil {
			t.Fatalf("%s -> %s: %v", s.from, s.to, err)
		}
		if res.Digest != ix.Digest {
			t.Errorf("%s -> %s: digest %s, want %s", s.from, s.to, res.Digest, ix.Digest)
		}
	}
	// The last copy holds every manifest and blob byte for byte.
	src, err := parse(t, "oci:"+filepath.Join(dir, "layout")+":two").NewSource(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	top, _, err := src.Manifest(ctx, nil)
	if err != nil || !bytes.Equal(top, ix.Manifest) {
		t.Fatalf("top manifest differs (%v)", err)
	}
	for _, img := range ix.Images {
		d := img.Digest
		b, _, err := src.Manifest(ctx, &d)
		if err != nil || !bytes.Equal(b, img.Manifest) {
			t.Errorf("instance %s differs (%v)", d, err)
		}
		for _, desc := range append(img.Layers, img.Config) {
			rc, err := src.Blob(ctx, desc)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, img.Blobs[desc.Digest]) {
				t.Errorf("blob %s differs", desc.Digest)
			}
		}
	}
}

// rangeCounter counts ranged blob GETs and the blob bytes served.
type rangeCounter struct {
	ranged, bytes atomic.Int64
}

func (c *rangeCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			if r.Header.Get("Range") != "" {
				c.ranged.Add(1)
			}
			w = &countingWriter{ResponseWriter: w, n: &c.bytes}
		}
		h.ServeHTTP(w, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	return n, err
}

func TestFetcherRangesIntoLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var count rangeCounter
	reg := testregistry.New(t, testregistry.Options{Wrap: count.wrap})
	img := testimage.New(testimage.Options{LayerSizes: []int{6 << 20, 1000}})
	reg.Push(t, "big", "1", img)
	count.bytes.Store(0)

	cacheDir := t.TempDir()
	f, err := fetch.New(fetch.WithDir(cacheDir), fetch.WithThreshold(1<<20), fetch.WithChunkSize(1<<20), fetch.WithConnections(4),
		fetch.WithLinkProbe(0, 1<<62)) // loopback is fast; behave as on a throttled link
	if err != nil {
		t.Fatal(err)
	}
	o := insecure
	o.Fetcher = f
	root := filepath.Join(t.TempDir(), "layout")
	if _, err := copier.Copy(ctx, parse(t, "docker://"+reg.Ref("big:1")), parse(t, "oci:"+root+":1"), o); err != nil {
		t.Fatal(err)
	}
	big := img.Layers[0]
	if big.Size < 2<<20 {
		t.Fatalf("test layer is only %d bytes compressed; make it bigger", big.Size)
	}
	if count.ranged.Load() < 2 {
		t.Errorf("%d ranged GETs, want the large layer split over several", count.ranged.Load())
	}
	var total int64
	for _, b := range img.Blobs {
		total += int64(len(b))
	}
	if got := count.bytes.Load(); got != total {
		t.Errorf("registry served %d blob bytes, want exactly the image's %d", got, total)
	}
	stored := filepath.Join(root, "blobs", "sha256", big.Digest.Encoded())
	got, err := os.ReadFile(stored)
	if err != nil || digest.FromBytes(got) != big.Digest {
		t.Fatalf("stored layer wrong (%v)", err)
	}
	entries, err := f.Cache().List()
	if err != nil || len(entries) == 0 {
		t.Fatalf("cache holds nothing (%v)", err)
	}
	var linked bool
	st, _ := os.Stat(stored)
	for _, e := range entries {
		if cst, err := os.Stat(e.Path); err == nil && cst.Sys().(*syscall.Stat_t).Ino == st.Sys().(*syscall.Stat_t).Ino {
			linked = true
		}
	}
	if !linked {
		t.Error("the layer was copied out of the cache instead of linked")
	}

	// A second copy to a new layout takes the layer from the cache: no blob bytes move.
	count.bytes.Store(0)
	root2 := filepath.Join(t.TempDir(), "layout")
	if _, err := copier.Copy(ctx, parse(t, "docker://"+reg.Ref("big:1")), parse(t, "oci:"+root2+":1"), o); err != nil {
		t.Fatal(err)
	}
	if got := count.bytes.Load(); got >= big.Size {
		t.Errorf("second copy fetched %d blob bytes; the large layer should come from the cache", got)
	}
}

// TestInterruptedCopyLeavesNoTrace cancels a copy while a layer is on the
// wire: the layout gains no index entry and no temporary file.
func TestInterruptedCopyLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	img := testimage.New(testimage.Options{LayerSizes: []int{2 << 20}})
	layer := img.Layers[0].Digest
	reg := testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, layer.String()) {
				cancel() // the user presses Ctrl-C while this layer downloads
			}
			h.ServeHTTP(w, r)
		})
	}})
	reg.Push(t, "app", "1", img)
	root := filepath.Join(t.TempDir(), "layout")
	// An existing image in the layout must survive untouched.
	other := testimage.New(testimage.Options{Seed: 9})
	if _, err := copier.Copy(context.Background(), &srcRef{img: other}, parse(t, "oci:"+root+":keep"), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(root, "index.json"))
	_, err := copier.Copy(ctx, parse(t, "docker://"+reg.Ref("app:1")), parse(t, "oci:"+root+":new"), insecure)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	after, _ := os.ReadFile(filepath.Join(root, "index.json"))
	if !bytes.Equal(before, after) {
		t.Errorf("index.json changed:\n%s\n%s", before, after)
	}
	if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", layer.Encoded())); !os.IsNotExist(err) {
		t.Error("the interrupted layer is visible in the layout")
	}
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".ferry-tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// srcRef serves a testimage as a copy source.
type srcRef struct {
	transport.Reference
	img *testimage.Image
}

func (r *srcRef) String() string                 { return "testimage" }
func (r *srcRef) Transport() transport.Transport { return testTransport{} }

type testTransport struct{}

func (testTransport) Name() string { return "testimage" }
func (testTransport) ParseReference(string) (transport.Reference, error) {
	return nil, errdefs.ErrNotSupported
}
func (r *srcRef) NewSource(context.Context, *transport.Options) (transport.Source, error) {
	return r.img.Source(), nil
}

// TestFetcherStreamsToRegistry: with a Fetcher, a large layer going to a
// destination that takes a stream (here another registry) is fetched as
// parallel byte ranges and kept nowhere on disk.
func TestFetcherStreamsToRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var count rangeCounter
	src := testregistry.New(t, testregistry.Options{Wrap: count.wrap})
	dst := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{LayerSizes: []int{16 << 20}})
	src.Push(t, "big", "1", img)
	count.bytes.Store(0)
	cacheDir := t.TempDir()
	// Loopback is fast; the probe is told every link is slow, as a
	// throttled one would show itself.
	f, err := fetch.New(fetch.WithDir(cacheDir), fetch.WithThreshold(1<<20), fetch.WithConnections(4), fetch.WithLinkProbe(0, 1<<62))
	if err != nil {
		t.Fatal(err)
	}
	o := insecure
	o.Fetcher = f
	res, err := copier.Copy(ctx, parse(t, "docker://"+src.Ref("big:1")), parse(t, "docker://"+dst.Ref("big:1")), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != img.Digest || !dst.HasBlob(t, "big", img.Layers[0].Digest) {
		t.Fatal("the destination registry lacks the image")
	}
	if count.ranged.Load() < 2 {
		t.Errorf("%d ranged GETs, want the layer split over several", count.ranged.Load())
	}
	var total int64
	for _, b := range img.Blobs {
		total += int64(len(b))
	}
	if got := count.bytes.Load(); got != total {
		t.Errorf("source served %d blob bytes, want exactly %d", got, total)
	}
	if entries, _ := f.Cache().List(); len(entries) != 0 {
		t.Errorf("a registry-to-registry copy left %d blobs in the cache", len(entries))
	}
}
