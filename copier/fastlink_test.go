package copier_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
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
// first request is not cut short for a second.
func TestFastLinkOneGetPerBlob(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	// A random layer (no gzip to build): large enough to be split into
	// ranges, in the cache and when streamed, were the link slow.
	var layers []ocispec.Descriptor
	for i := range 1 {
		b := make([]byte, 7<<20)
		rand.NewChaCha8([32]byte{byte(i)}).Read(b)
		layers = append(layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: src.PutBlob(t, "app", b), Size: int64(len(b))})
	}
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
			// The probe's default window; a bar of 1 MiB/s, which the
			// registry in process passes even under the race detector
			// on a busy machine (the default bar, 32 MiB/s, it may not).
			f, err := fetch.New(fetch.WithDir(t.TempDir()), fetch.WithThreshold(4<<20), fetch.WithLinkProbe(200*time.Millisecond, 1<<20))
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
					t.Errorf("blob %s fetched with %d GETs, want 1", dg, n)
				}
			}
		})
	}
}
