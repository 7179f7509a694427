package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/daemon"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdocker.Stop()
	os.Exit(code)
}

func parse(t *testing.T, s string) *daemon.Reference {
	t.Helper()
	r, err := daemon.ParseReference(s)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

// parseIn parses s with the transport configured by cfg.
func parseIn(t *testing.T, cfg daemon.Config, s string) transport.Reference {
	t.Helper()
	r, err := daemon.New(cfg).ParseReference(s)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

// inspect is the part of `docker image inspect` the tests check.
type inspect struct {
	ID       string `json:"Id"`
	RepoTags []string
	RootFS   struct{ Layers []digest.Digest }
}

func dockerInspect(t *testing.T, d *testdocker.Daemon, name string) inspect {
	t.Helper()
	var out []inspect
	if err := json.Unmarshal(d.Docker(t, "image", "inspect", name), &out); err != nil || len(out) != 1 {
		t.Fatalf("docker image inspect %s: %v", name, err)
	}
	sort.Strings(out[0].RepoTags) // the Engine lists them in no set order
	return out[0]
}

func diffIDs(t *testing.T, img *testimage.Image) []digest.Digest {
	t.Helper()
	var c ocispec.Image
	if err := json.Unmarshal(img.Blobs[img.Config.Digest], &c); err != nil {
		t.Fatal(err)
	}
	return c.RootFS.DiffIDs
}

// readAll reads the manifest and every blob, by Stream or by Blob.
func readAll(t *testing.T, src transport.Source, streamed bool) (*manifest.Image, map[digest.Digest][]byte) {
	t.Helper()
	ctx := context.Background()
	blobs := map[digest.Digest][]byte{}
	var mb []byte
	var err error
	if streamed {
		ss, ok := src.(transport.StreamSource)
		if !ok {
			t.Fatalf("%T is not a StreamSource", src)
		}
		mb, _, err = ss.Stream(ctx, func(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
			b, err := io.ReadAll(r)
			if err != nil {
				return ocispec.Descriptor{}, err
			}
			got := ocispec.Descriptor{MediaType: d.MediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
			blobs[got.Digest] = b
			return got, nil
		})
	} else {
		mb, _, err = src.Manifest(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.ParseImage(mb)
	if err != nil {
		t.Fatal(err)
	}
	if !streamed {
		for _, d := range manifest.Blobs(m) {
			rc, err := src.Blob(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			vr, _ := verify.NewReader(rc, d.Digest, d.Size)
			b, err := io.ReadAll(vr)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			blobs[d.Digest] = b
		}
	}
	return m, blobs
}

// TestRoundTrip loads images into a real Engine through the destination
// (layers gzip- or zstd-compressed, as they come) and reads them back
// through the source, by name and by ID, streamed and spooled.
func TestRoundTrip(t *testing.T) {
	d := testdocker.Start(t)
	ctx := context.Background()
	img := testimage.New(testimage.Options{Docker: true, Seed: 31, LayerSizes: []int{160 << 10, 100}})
	o := &transport.Options{TmpDir: t.TempDir()}
	cfg := daemon.Config{Host: d.Host, AdditionalTags: []string{"example.com/app:extra"}}

	dst, err := parseIn(t, cfg, "example.com/app:1").NewDestination(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Capabilities().KeepsDigests {
		t.Error("docker-daemon claims to keep digests")
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	dst.Close()

	got := dockerInspect(t, d, "example.com/app:1")
	if got.ID != img.Config.Digest.String() {
		t.Errorf("image ID %s, want the config digest %s", got.ID, img.Config.Digest)
	}
	if diff := cmp.Diff(diffIDs(t, img), got.RootFS.Layers); diff != "" {
		t.Errorf("RootFS layers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"example.com/app:1", "example.com/app:extra"}, got.RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		ref    string
		stream bool
	}{
		{"example.com/app:1", true},
		{"example.com/app:extra", false},
		{img.Config.Digest.String(), true},
	} {
		src, err := parseIn(t, cfg, tc.ref).NewSource(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		m, blobs := readAll(t, src, tc.stream)
		src.Close()
		if m.Config.Digest != img.Config.Digest || !bytes.Equal(blobs[m.Config.Digest], img.Blobs[img.Config.Digest]) {
			t.Errorf("%s: config %s, want %s", tc.ref, m.Config.Digest, img.Config.Digest)
		}
		var layers []digest.Digest
		for _, l := range m.Layers {
			layers = append(layers, l.Digest)
		}
		if diff := cmp.Diff(diffIDs(t, img), layers); diff != "" {
			t.Errorf("%s: layers (-want +got):\n%s", tc.ref, diff)
		}
	}
	if left := listing(t, o.TmpDir); len(left) != 0 {
		t.Errorf("left in TmpDir: %v", left)
	}
}

func listing(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestZstdLayers: the Engine takes zstd layers as they are.
func TestZstdLayers(t *testing.T) {
	d := testdocker.Start(t)
	ctx := context.Background()
	base := testimage.New(testimage.Options{Seed: 32})
	img := &testimage.Image{Config: base.Config, MediaType: manifest.MediaTypeOCIManifest, Blobs: map[digest.Digest][]byte{}}
	img.Blobs[base.Config.Digest] = base.Blobs[base.Config.Digest]
	for _, l := range base.Layers {
		rc, _, err := archive.Decompress(bytes.NewReader(base.Blobs[l.Digest]))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(rc)
		z := tartest.Zstd(t, plain)
		desc := ocispec.Descriptor{MediaType: manifest.MediaTypeOCILayerZst, Digest: digest.FromBytes(z), Size: int64(len(z))}
		img.Blobs[desc.Digest] = z
		img.Layers = append(img.Layers, desc)
	}
	m := ocispec.Manifest{MediaType: img.MediaType, Config: img.Config, Layers: img.Layers}
	m.SchemaVersion = 2
	img.Manifest, _ = json.Marshal(m)
	dst, err := parseIn(t, daemon.Config{Host: d.Host}, "zstd:1").NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(diffIDs(t, base), dockerInspect(t, d, "zstd:1").RootFS.Layers); diff != "" {
		t.Errorf("RootFS layers (-want +got):\n%s", diff)
	}
}

// TestAbandonedLoadLeavesNothing: Close without Commit aborts the upload
// and the Engine loads nothing.
func TestAbandonedLoadLeavesNothing(t *testing.T) {
	d := testdocker.Start(t)
	ctx := context.Background()
	img := testimage.New(testimage.Options{Seed: 33})
	cfg := daemon.Config{Host: d.Host}
	dst, err := parseIn(t, cfg, "abandoned:1").NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Layers {
		if err := dst.PutBlob(ctx, l, bytes.NewReader(img.Blobs[l.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := parseIn(t, cfg, "abandoned:1").NewSource(ctx, nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("NewSource of the abandoned image: %v, want ErrNotFound", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	missing := "unix://" + filepath.Join(t.TempDir(), "no.sock")
	for _, tc := range []struct {
		name, host, ref string
		want            error
	}{
		{"no daemon", missing, "app:1", errdefs.ErrUnavailable},
		{"bad host", "ftp://x", "app:1", errdefs.ErrInvalidArgument},
	} {
		_, err := parseIn(t, daemon.Config{Host: tc.host}, tc.ref).NewSource(ctx, nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: source: %v, want %v", tc.name, err, tc.want)
		}
		dst, err := parseIn(t, daemon.Config{Host: tc.host}, tc.ref).NewDestination(ctx, nil)
		if err == nil {
			img := testimage.New(testimage.Options{})
			err = img.Write(ctx, dst)
			dst.Close()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: destination: %v, want %v", tc.name, err, tc.want)
		}
	}

	d := testdocker.Start(t)
	if _, err := parseIn(t, daemon.Config{Host: d.Host}, "example.com/nope:1").NewSource(ctx, nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
}
