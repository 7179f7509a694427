package copier

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
)

// diffIDs decompresses every layer of the manifest a memDest holds and
// returns the digests of the uncompressed tars.
func diffIDs(t *testing.T, m *memDest) ([]digest.Digest, []string) {
	t.Helper()
	img, err := manifest.ParseImage(m.top)
	if err != nil {
		t.Fatal(err)
	}
	var ids []digest.Digest
	var types []string
	for _, l := range img.Layers {
		b, ok := m.blobs[l.Digest]
		if !ok {
			t.Fatalf("layer %s not stored", l.Digest)
		}
		if digest.FromBytes(b) != l.Digest || int64(len(b)) != l.Size {
			t.Fatalf("layer %s stored with wrong digest or size", l.Digest)
		}
		zr, err := decompressor(bytes.NewReader(b), layerCompression(l.MediaType))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, digest.FromBytes(plain))
		types = append(types, l.MediaType)
	}
	return ids, types
}

func TestRecompressRoundTripKeepsDiffIDs(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{LayerSizes: []int{3000, 200000}})
	orig := newMemDest()
	if _, err := copyTo(t, img.Source(), orig, Options{}); err != nil {
		t.Fatal(err)
	}
	want, _ := diffIDs(t, orig)
	src := img.Source()
	for _, step := range []struct{ comp, layerType string }{
		{"zstd", manifest.MediaTypeOCILayerZst},
		{"gzip", manifest.MediaTypeOCILayerGz},
		{"none", manifest.MediaTypeOCILayer},
		{"gzip", manifest.MediaTypeOCILayerGz},
	} {
		dst := newMemDest()
		res, err := copyTo(t, src, dst, Options{Compression: step.comp})
		if err != nil {
			t.Fatalf("to %s: %v", step.comp, err)
		}
		got, types := diffIDs(t, dst)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("to %s: layer %d diff ID %s, want %s", step.comp, i, got[i], want[i])
			}
			if types[i] != step.layerType {
				t.Errorf("to %s: layer %d media type %s, want %s", step.comp, i, types[i], step.layerType)
			}
		}
		src = sourceOf(dst, res.MediaType)
	}
}

func TestRecompressRefusals(t *testing.T) {
	t.Parallel()
	oci := testimage.New(testimage.Options{})
	docker := testimage.New(testimage.Options{Docker: true})
	for _, tt := range []struct {
		name string
		src  *testimage.Source
		o    Options
		want error
	}{
		{"zstd in a docker manifest", docker.Source(), Options{Compression: "zstd", Format: "v2s2"}, errdefs.ErrNotSupported},
		{"unknown algorithm", oci.Source(), Options{Compression: "brotli"}, errdefs.ErrInvalidArgument},
		{"recompress with preserved digests", oci.Source(), Options{Compression: "zstd", PreserveDigests: true}, errdefs.ErrInvalidArgument},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := newMemDest()
			if _, err := copyTo(t, tt.src, dst, tt.o); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestZstdTurnsDockerIntoOCI: zstd layers asked of a Docker image without
// a Format make an OCI manifest, the only one that can name them, as
// skopeo's fallback does; the Docker config becomes an OCI config.
func TestZstdTurnsDockerIntoOCI(t *testing.T) {
	t.Parallel()
	docker := testimage.New(testimage.Options{Docker: true})
	dst := newMemDest()
	res, err := copyTo(t, docker.Source(), dst, Options{Compression: "zstd"})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != manifest.MediaTypeOCIManifest {
		t.Fatalf("wrote %s, want an OCI manifest", res.MediaType)
	}
	m, err := manifest.ParseImage(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != manifest.MediaTypeOCIConfig {
		t.Errorf("config media type %s", m.Config.MediaType)
	}
	for _, l := range m.Layers {
		if l.MediaType != manifest.MediaTypeOCILayerZst {
			t.Errorf("layer media type %s, want zstd", l.MediaType)
		}
	}
}

func TestRecompressCorruptSourceKeepsNothing(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{LayerSizes: []int{50000}})
	src := img.Source()
	// A source that serves a valid gzip stream followed by stray bytes, so
	// the blob no longer matches its digest (a fault no real registry
	// produces): decompression alone would not notice.
	b := append(bytes.Clone(src.Blobs[img.Layers[0].Digest]), 0, 1, 2)
	src.Blobs[img.Layers[0].Digest] = b
	dst := newMemDest()
	_, err := copyTo(t, src, dst, Options{Compression: "zstd"})
	if err == nil {
		t.Fatal("a layer that does not match its digest was recompressed")
	}
	// The config may or may not have landed before the failure cancelled
	// the copy; nothing else may have.
	for d := range dst.pending {
		if d != img.Config.Digest {
			t.Errorf("destination holds blob %s from the failed layer", d)
		}
	}
}

func TestWantedCompressionFollowsDestination(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	dst := newMemDest()
	dst.caps.WantsUncompressed = true
	if _, err := copyTo(t, img.Source(), dst, Options{}); err != nil {
		t.Fatal(err)
	}
	_, types := diffIDs(t, dst)
	for _, ty := range types {
		if ty != manifest.MediaTypeOCILayer {
			t.Errorf("layer type %s, want uncompressed", ty)
		}
	}
	up := newMemDest()
	up.caps.WantsCompressed = true
	if _, err := copyTo(t, sourceOf(dst, manifest.MediaTypeOCIManifest), up, Options{}); err != nil {
		t.Fatal(err)
	}
	_, types = diffIDs(t, up)
	for _, ty := range types {
		if ty != manifest.MediaTypeOCILayerGz {
			t.Errorf("layer type %s, want gzip", ty)
		}
	}
}
