package copier_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestUploadCutResumedFromSource: registry to registry, the destination's
// first streamed upload is swallowed in part and cut (a proxy giving up
// mid-body, with nothing stored). The copy reads the blob again from the
// source registry from what the destination holds, keeps no copy of the
// bytes sent in memory, and reports each byte once.
func TestUploadCutResumedFromSource(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	layer := make([]byte, 9<<20)
	rand.NewChaCha8([32]byte{9}).Read(layer)
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	m, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: src.PutBlob(t, "app", config), Size: int64(len(config))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: src.PutBlob(t, "app", layer), Size: int64(len(layer))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	src.PutManifest(t, "app", "1", m, ocispec.MediaTypeImageManifest)

	var cuts atomic.Int32
	cutOnce := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			streamed := r.Method == http.MethodPatch && r.Header.Get("Content-Range") == ""
			if !streamed || cuts.Add(1) > 1 {
				h.ServeHTTP(w, r)
				return
			}
			io.CopyN(io.Discard, r.Body, 6<<20)
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		})
	}
	dst := testregistry.New(t, testregistry.Options{Wrap: cutOnce})
	sum, err := copyWithSummary(t, context.Background(), "docker://"+src.Ref("app:1"), "docker://"+dst.Ref("copy:1"),
		func(r progress.Reporter) *fetch.Fetcher {
			f, err := fetch.New(fetch.WithDir(t.TempDir()), fetch.WithProgress(r))
			if err != nil {
				t.Fatal(err)
			}
			return f
		})
	if err != nil {
		t.Fatalf("copy with the upload cut: %v", err)
	}
	if cuts.Load() < 1 {
		t.Fatal("no streamed upload was cut: the test saw none")
	}
	if want := int64(len(layer) + len(config)); sum.Bytes != want {
		t.Errorf("progress counted %d bytes, want each of the image's %d once", sum.Bytes, want)
	}
	gets := 0
	for _, r := range src.Requests() {
		if r.Method == http.MethodGet && r.Path == "/v2/app/blobs/"+digest.FromBytes(layer).String() {
			gets++
		}
	}
	if gets != 2 {
		t.Errorf("the layer was read %d times from the source, want twice (once more after the cut)", gets)
	}
}
