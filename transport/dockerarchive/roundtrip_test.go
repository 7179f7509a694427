package dockerarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// zstdImage is a testimage whose layers are zstd-compressed, with an OCI
// manifest (Docker schema 2 has no zstd media type).
func zstdImage(t *testing.T) *testimage.Image {
	img := testimage.New(testimage.Options{Seed: 7})
	out := &testimage.Image{Config: img.Config, Platform: img.Platform, MediaType: manifest.MediaTypeOCIManifest, Blobs: map[digest.Digest][]byte{}}
	out.Blobs[img.Config.Digest] = img.Blobs[img.Config.Digest]
	for _, l := range img.Layers {
		z := tartest.Zstd(t, gunzip(t, img.Blobs[l.Digest]))
		d := ocispec.Descriptor{MediaType: manifest.MediaTypeOCILayerZst, Digest: digest.FromBytes(z), Size: int64(len(z))}
		out.Blobs[d.Digest] = z
		out.Layers = append(out.Layers, d)
	}
	m := ocispec.Manifest{MediaType: out.MediaType, Config: out.Config, Layers: out.Layers}
	m.SchemaVersion = 2
	out.Manifest, _ = json.Marshal(m)
	out.Digest = digest.FromBytes(out.Manifest)
	return out
}

// TestRoundTrip writes images and reads them back every way a
// docker-archive can arrive: a plain file (indexed), a compressed file and
// stdin (streamed, or spooled when not streamed). Every way must give the
// manifest skopeo synthesizes (Docker schema 2, layers named by their
// diff IDs) and serve each layer's content decompressed, as skopeo does,
// whatever compression the archive stores it in.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	images := map[string]struct {
		img      *testimage.Image
		wantType string
	}{
		"docker": {testimage.New(testimage.Options{Docker: true, Seed: 1}), manifest.MediaTypeDockerManifest},
		"oci":    {testimage.New(testimage.Options{Seed: 2, LayerSizes: []int{160 << 10, 10}}), manifest.MediaTypeDockerManifest},
		"zstd":   {zstdImage(t), manifest.MediaTypeDockerManifest},
	}
	for name, tc := range images {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "img.tar")
			writeWith(t, dockerarchive.Config{AdditionalTags: []string{"other:2"}}, path+":example.com/app:1", tc.img, nil)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			gz := tartest.WriteFile(t, "img.tar.gz", tartest.Gzip(t, raw))
			zst := tartest.WriteFile(t, "img.tar.zst", tartest.Zstd(t, raw))

			plain := open(t, path+":other:2", nil)
			if _, ok := plain.(transport.StreamSource); ok {
				t.Error("a plain archive file is a StreamSource; the copier would lose its parallel path")
			}
			base, err := readImage(t, plain)
			if err != nil {
				t.Fatal(err)
			}
			if base.MediaType != tc.wantType {
				t.Errorf("media type %s, want %s", base.MediaType, tc.wantType)
			}
			if got, want := base.Image.Config.Digest, tc.img.Config.Digest; got != want {
				t.Errorf("config %s, want %s", got, want)
			}
			var gotLayers []digest.Digest
			for _, l := range base.Image.Layers {
				gotLayers = append(gotLayers, l.Digest)
				if l.MediaType != manifest.MediaTypeDockerLayer {
					t.Errorf("layer %s: media type %s, want skopeo's %s", l.Digest, l.MediaType, manifest.MediaTypeDockerLayer)
				}
			}
			if diff := cmp.Diff(diffIDs(t, tc.img.Blobs[tc.img.Config.Digest]), gotLayers); diff != "" {
				t.Errorf("layer digests, want the diff IDs (-want +got):\n%s", diff)
			}
			for i, l := range tc.img.Layers {
				if !bytes.Equal(base.Blobs[gotLayers[i]], decompressed(t, tc.img.Blobs[l.Digest])) {
					t.Errorf("layer %d is not served as its decompressed content", i)
				}
			}

			tmp := t.TempDir()
			for _, rc := range []struct {
				name   string
				ref    string
				stdin  []byte
				stream bool
			}{
				{name: "gzip file streamed", ref: gz, stream: true},
				{name: "gzip file spooled", ref: gz},
				{name: "zstd file spooled", ref: zst},
				{name: "stdin streamed", ref: "-", stdin: raw, stream: true},
				{name: "stdin spooled", ref: "-", stdin: raw},
				{name: "gzip stdin streamed", ref: "-:example.com/app:1", stdin: tartest.Gzip(t, raw), stream: true},
			} {
				o := &transport.Options{Stdin: bytes.NewReader(rc.stdin), TmpDir: tmp}
				src := open(t, rc.ref, o)
				var got *read
				if rc.stream {
					got, err = stream(t, src)
				} else {
					got, err = readImage(t, src)
				}
				if err != nil {
					t.Errorf("%s: %v", rc.name, err)
					continue
				}
				if diff := cmp.Diff(string(base.Manifest), string(got.Manifest)); diff != "" {
					t.Errorf("%s: manifest differs from the indexed file's (-want +got):\n%s", rc.name, diff)
				}
				if diff := cmp.Diff(base.Blobs, got.Blobs); diff != "" {
					t.Errorf("%s: blobs differ", rc.name)
				}
				if rc.stream {
					if b, _, err := src.Manifest(context.Background(), nil); err != nil || !bytes.Equal(b, got.Manifest) {
						t.Errorf("%s: Manifest after Stream: %v", rc.name, err)
					}
				}
				src.Close()
				if left := tartest.Listing(t, tmp); len(left) != 0 {
					t.Errorf("%s: left in TmpDir: %v", rc.name, left)
				}
			}
		})
	}
}

// TestArchiveLayout checks what docker load and podman load read:
// manifest.json with RepoTags, config as HEX.json, layers as they came,
// the legacy repositories file, and nothing else.
func TestArchiveLayout(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Docker: true})
	path := filepath.Join(t.TempDir(), "a.tar")
	writeWith(t, dockerarchive.Config{AdditionalTags: []string{"example.com/x/nginx"}}, path+":nginx:1.17.6", img, nil)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	a, err := archive.Index(context.Background(), f, fi.Size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []struct {
		Config           string
		RepoTags, Layers []string
	}
	mj, err := a.ReadFile("manifest.json", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mj, &items); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		Config           string
		RepoTags, Layers []string
	}{{
		Config:   img.Config.Digest.Encoded() + ".json",
		RepoTags: []string{"nginx:1.17.6", "example.com/x/nginx:latest"},
		Layers:   []string{"blobs/sha256/" + img.Layers[0].Digest.Encoded(), "blobs/sha256/" + img.Layers[1].Digest.Encoded()},
	}}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("manifest.json (-want +got):\n%s", diff)
	}
	rj, err := a.ReadFile("repositories", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var repos map[string]map[string]string
	json.Unmarshal(rj, &repos)
	id := img.Config.Digest.Encoded()
	if diff := cmp.Diff(map[string]map[string]string{"nginx": {"1.17.6": id}, "example.com/x/nginx": {"latest": id}}, repos); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	var files []string
	for name, e := range a.Entries() {
		if e.Kind == archive.File {
			files = append(files, name)
		}
	}
	if len(files) != 5 {
		t.Errorf("archive holds %v, want config, 2 layers, manifest.json, repositories", files)
	}
}

func TestStdout(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	var out bytes.Buffer
	write(t, "-:app:1", img, &transport.Options{Stdout: &out})
	src := open(t, "-", &transport.Options{Stdin: &out})
	got, err := stream(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got.Image.Config.Digest != img.Config.Digest {
		t.Errorf("config %s, want %s", got.Image.Config.Digest, img.Config.Digest)
	}
}

// TestDestinationDiscards checks that an archive appears complete or not
// at all: Close without Commit, or a blob that fails its digest check,
// leaves no file, and an existing archive is replaced only at Commit.
func TestDestinationDiscards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{})
	for _, tc := range []struct {
		name string
		run  func(transport.Destination) error
	}{
		{"close without commit", func(dst transport.Destination) error {
			return dst.PutBlob(ctx, img.Config, bytes.NewReader(img.Blobs[img.Config.Digest]))
		}},
		{"short blob", func(dst transport.Destination) error {
			l := img.Layers[0]
			return dst.PutBlob(ctx, l, bytes.NewReader(img.Blobs[l.Digest][:10]))
		}},
		{"index", func(dst transport.Destination) error {
			ix := testimage.NewIndex(false, img.Platform)
			return ix.Write(ctx, dst)
		}},
		{"commit without manifest", func(dst transport.Destination) error {
			return dst.Commit(ctx)
		}},
		{"manifest before its blobs", func(dst transport.Destination) error {
			return dst.PutManifest(ctx, img.Manifest, img.MediaType, nil)
		}},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.tar")
		os.WriteFile(path, []byte("previous"), 0o644)
		dst, err := parse(t, path+":app:1").NewDestination(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = tc.run(dst)
		dst.Close()
		if tc.name != "close without commit" && err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if got, _ := os.ReadFile(path); string(got) != "previous" {
			t.Errorf("%s: the old archive was changed", tc.name)
		}
		if diff := cmp.Diff([]string{"a.tar"}, tartest.Listing(t, dir)); diff != "" {
			t.Errorf("%s: files (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestUncompressedLayers: with Config.Uncompressed the destination asks
// for uncompressed layers and takes them through PutBlobStream, whose
// digest it computes, as the copier hands them over.
func TestUncompressedLayers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{Docker: true})
	path := filepath.Join(t.TempDir(), "a.tar")
	tmp := t.TempDir()
	r, err := dockerarchive.New(dockerarchive.Config{Uncompressed: true}).ParseReference(path)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := r.NewDestination(ctx, &transport.Options{TmpDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if !dst.Capabilities().WantsUncompressed {
		t.Error("Capabilities().WantsUncompressed is false with Config.Uncompressed")
	}
	sd := dst.(transport.StreamingDestination)
	m := ocispec.Manifest{MediaType: manifest.MediaTypeDockerManifest, Config: img.Config}
	m.SchemaVersion = 2
	for _, l := range img.Layers {
		d, err := sd.PutBlobStream(ctx, manifest.MediaTypeDockerLayerPlain, bytes.NewReader(gunzip(t, img.Blobs[l.Digest])))
		if err != nil {
			t.Fatal(err)
		}
		m.Layers = append(m.Layers, d)
	}
	if err := dst.PutBlob(ctx, img.Config, bytes.NewReader(img.Blobs[img.Config.Digest])); err != nil {
		t.Fatal(err)
	}
	mb, _ := json.Marshal(m)
	if err := dst.PutManifest(ctx, mb, m.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := readImage(t, open(t, path, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := diffIDs(t, img.Blobs[img.Config.Digest])
	for i, l := range got.Image.Layers {
		if l.Digest != want[i] {
			t.Errorf("layer %d: %s, want its diff ID %s", i, l.Digest, want[i])
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range storedCompression(t, b) {
		if c != archive.None {
			t.Errorf("layer %d is stored %s-compressed, want uncompressed", i, c)
		}
	}
	if left := tartest.Listing(t, tmp); len(left) != 0 {
		t.Errorf("left in TmpDir: %v", left)
	}
}

func TestManifestInstance(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.tar")
	write(t, path, testimage.New(testimage.Options{}), nil)
	src := open(t, path, nil)
	b, _, err := src.Manifest(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(b)
	if got, _, err := src.Manifest(context.Background(), &d); err != nil || !bytes.Equal(got, b) {
		t.Errorf("Manifest(own digest): %v", err)
	}
	other := digest.FromString("other")
	if _, _, err := src.Manifest(context.Background(), &other); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Manifest(other digest): %v, want ErrNotFound", err)
	}
	if _, err := src.Blob(context.Background(), ocispec.Descriptor{Digest: other}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Blob(other digest): %v, want ErrNotFound", err)
	}
}

// TestWithoutZstd: for consumers that cannot read zstd layers (Docker
// before 23) the stream destination stores them decompressed.
func TestWithoutZstd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := zstdImage(t)
	var out bytes.Buffer
	dst, err := dockerarchive.NewStreamDestination("test", &out, nil, &transport.Options{TmpDir: t.TempDir()}, dockerarchive.WithoutZstd())
	if err != nil {
		t.Fatal(err)
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	for i, c := range storedCompression(t, out.Bytes()) {
		if c != archive.None {
			t.Errorf("layer %d is stored %s-compressed, want uncompressed", i, c)
		}
	}
}
