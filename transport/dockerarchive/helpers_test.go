package dockerarchive_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func parse(t *testing.T, s string) *dockerarchive.Reference {
	t.Helper()
	r, err := dockerarchive.ParseReference(s)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

// write stores img as docker-archive:name and commits.
func write(t *testing.T, name string, img *testimage.Image, o *transport.Options) {
	t.Helper()
	writeWith(t, dockerarchive.Config{}, name, img, o)
}

// writeWith is write with the transport configured by cfg.
func writeWith(t *testing.T, cfg dockerarchive.Config, name string, img *testimage.Image, o *transport.Options) {
	t.Helper()
	ctx := context.Background()
	r, err := dockerarchive.New(cfg).ParseReference(name)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", name, err)
	}
	dst, err := r.NewDestination(ctx, o)
	if err != nil {
		t.Fatalf("NewDestination(%s): %v", name, err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
}

func open(t *testing.T, name string, o *transport.Options) transport.Source {
	t.Helper()
	src, err := parse(t, name).NewSource(context.Background(), o)
	if err != nil {
		t.Fatalf("NewSource(%s): %v", name, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// read is what a source serves: its manifest and every blob, verified
// against the manifest's descriptors.
type read struct {
	Manifest  []byte
	MediaType string
	Image     *manifest.Image
	Blobs     map[digest.Digest][]byte
}

func readImage(t *testing.T, src transport.Source) (*read, error) {
	t.Helper()
	ctx := context.Background()
	b, mt, err := src.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	m, err := manifest.ParseImage(b)
	if err != nil {
		return nil, err
	}
	out := &read{Manifest: b, MediaType: mt, Image: m, Blobs: map[digest.Digest][]byte{}}
	for _, d := range manifest.Blobs(m) {
		rc, err := src.Blob(ctx, d)
		if err != nil {
			return nil, err
		}
		vr, err := verify.NewReader(rc, d.Digest, d.Size)
		if err != nil {
			return nil, err
		}
		blob, err := io.ReadAll(vr)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out.Blobs[d.Digest] = blob
	}
	return out, nil
}

// memPut is a PutFunc that keeps blobs in memory, computing what it was
// not told, as a StreamingDestination does.
type memPut struct {
	mu    sync.Mutex
	blobs map[digest.Digest][]byte
	calls int
}

func (m *memPut) put(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	got := digest.FromBytes(b)
	if d.Digest != "" && d.Digest != got {
		return ocispec.Descriptor{}, fmt.Errorf("blob %s: content has digest %s", d.Digest, got)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[digest.Digest][]byte{}
	}
	m.blobs[got] = b
	m.calls++
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: got, Size: int64(len(b))}, nil
}

// stream reads src with Stream into memory.
func stream(t *testing.T, src transport.Source) (*read, error) {
	t.Helper()
	ss, ok := src.(transport.StreamSource)
	if !ok {
		t.Fatalf("%T is not a StreamSource", src)
	}
	var mp memPut
	b, mt, err := ss.Stream(context.Background(), mp.put)
	if err != nil {
		return nil, err
	}
	m, err := manifest.ParseImage(b)
	if err != nil {
		return nil, err
	}
	out := &read{Manifest: b, MediaType: mt, Image: m, Blobs: map[digest.Digest][]byte{}}
	for _, d := range manifest.Blobs(m) {
		blob, ok := mp.blobs[d.Digest]
		if !ok {
			t.Errorf("blob %s of the streamed manifest was never put", d.Digest)
		}
		out.Blobs[d.Digest] = blob
	}
	return out, nil
}

// diffIDs returns the diff IDs of an image's config.
func diffIDs(t *testing.T, config []byte) []digest.Digest {
	t.Helper()
	var c ocispec.Image
	if err := json.Unmarshal(config, &c); err != nil {
		t.Fatal(err)
	}
	return c.RootFS.DiffIDs
}

// legacyImage is an image laid out as docker save (before Docker 25)
// writes it: ID/layer.tar uncompressed, ID/json, ID/VERSION, HEX.json.
type legacyImage struct {
	Config  []byte
	Layers  [][]byte // uncompressed
	Members []tartest.Member
	Item    map[string]any
}

// newLegacy builds one from testimage content; tags become RepoTags.
func newLegacy(t *testing.T, seed int64, tags ...string) *legacyImage {
	t.Helper()
	return newLegacySized(t, seed, nil, tags...)
}

// newLegacySized is newLegacy with layers of the given payload sizes.
func newLegacySized(t *testing.T, seed int64, sizes []int, tags ...string) *legacyImage {
	t.Helper()
	img := testimage.New(testimage.Options{Seed: seed, Docker: true, LayerSizes: sizes})
	l := &legacyImage{}
	var diff []digest.Digest
	var paths []string
	for i, d := range img.Layers {
		plain := gunzip(t, img.Blobs[d.Digest])
		l.Layers = append(l.Layers, plain)
		diff = append(diff, digest.FromBytes(plain))
		id := digest.FromString(fmt.Sprintf("v1 %d %d", seed, i)).Encoded()
		paths = append(paths, id+"/layer.tar")
		l.Members = append(l.Members,
			tartest.File(id+"/VERSION", []byte("1.0")),
			tartest.File(id+"/json", []byte(`{"id":"`+id+`"}`)),
			tartest.File(id+"/layer.tar", plain))
	}
	var c map[string]any
	if err := json.Unmarshal(img.Blobs[img.Config.Digest], &c); err != nil {
		t.Fatal(err)
	}
	c["rootfs"] = map[string]any{"type": "layers", "diff_ids": diff}
	l.Config, _ = json.Marshal(c)
	cfgName := digest.FromBytes(l.Config).Encoded() + ".json"
	l.Members = append(l.Members, tartest.File(cfgName, l.Config))
	if tags == nil {
		tags = []string{}
	}
	l.Item = map[string]any{"Config": cfgName, "RepoTags": tags, "Layers": paths}
	return l
}

// legacyArchive builds a docker save archive of the images.
func legacyArchive(t *testing.T, imgs ...*legacyImage) []byte {
	t.Helper()
	var members []tartest.Member
	var items []map[string]any
	for _, l := range imgs {
		members = append(members, l.Members...)
		items = append(items, l.Item)
	}
	mj, _ := json.Marshal(items)
	members = append(members, tartest.File("manifest.json", mj))
	return tartest.Tar(t, members...)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	rc, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedCompression lists how the layers of the only image of the
// docker-archive b are stored, in manifest.json's order: what the source,
// which serves every layer decompressed, no longer tells.
func storedCompression(t *testing.T, b []byte) []archive.Compression {
	t.Helper()
	a, err := archive.Index(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	mj, err := a.ReadFile("manifest.json", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var items []struct{ Layers []string }
	if err := json.Unmarshal(mj, &items); err != nil || len(items) != 1 {
		t.Fatalf("manifest.json: %v, %d images", err, len(items))
	}
	var out []archive.Compression
	for _, lp := range items[0].Layers {
		sr, err := a.Open(lp)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, archive.MagicLen)
		n, _ := sr.ReadAt(head, 0)
		out = append(out, archive.Detect(head[:n]))
	}
	return out
}

// decompressed is a layer's content, whatever its compression.
func decompressed(t *testing.T, b []byte) []byte {
	t.Helper()
	rc, _, err := archive.Decompress(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
