package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/storage"
	"github.com/ferrytool/ferry/transport/storage/store"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestMain(m *testing.M) {
	if store.Init() {
		return // the store's layer-applying helper, re-executed
	}
	os.Exit(m.Run())
}

// tempStore is a fresh vfs store; the tests need root, as the store does.
func tempStore(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containers-storage needs root")
	}
	dir, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "[vfs@" + filepath.Join(dir, "root") + "+" + filepath.Join(dir, "run") + "]"
}

func parse(t *testing.T, s string) transport.Reference {
	t.Helper()
	r, err := storage.New(store.Backend).ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func options(t *testing.T) *transport.Options { return &transport.Options{TmpDir: t.TempDir()} }

// TestWriteRead: an image written reads back with the same config and
// the layers' uncompressed content under their diff IDs; its signatures
// read back when the manifest is served as stored.
func TestWriteRead(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	img := testimage.New(testimage.Options{Seed: 7})
	ref := parse(t, st+"example.com/app:1")
	dst, err := ref.NewDestination(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	src, err := ref.NewSource(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b, mt, err := src.Manifest(ctx, nil)
	if err != nil || mt != manifest.MediaTypeOCIManifest {
		t.Fatalf("Manifest: %s %v", mt, err)
	}
	m, err := manifest.ParseImage(b)
	if err != nil {
		t.Fatal(err)
	}
	var cfg ocispec.Image
	json.Unmarshal(img.Blobs[img.Config.Digest], &cfg)
	if m.Config.Digest != img.Config.Digest {
		t.Errorf("config %s, want %s", m.Config.Digest, img.Config.Digest)
	}
	for i, l := range m.Layers {
		if l.Digest != cfg.RootFS.DiffIDs[i] || l.MediaType != manifest.MediaTypeOCILayer {
			t.Errorf("layer %d: %s %s, want %s uncompressed", i, l.MediaType, l.Digest, cfg.RootFS.DiffIDs[i])
		}
		rc, err := src.Blob(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		if got := digest.FromBytes(buf.Bytes()); got != l.Digest {
			t.Errorf("layer %d served as %s, want %s", i, got, l.Digest)
		}
	}
	// An unsigned image has no signatures to refuse.
	if _, err := src.(transport.SignatureSource).Signatures(ctx, nil); err != nil {
		t.Errorf("Signatures of an unsigned image: %v", err)
	}
}

// TestSignaturesStored: an image whose manifest names its layers
// uncompressed (as buildah commits them) is served byte for byte, with
// its signatures.
func TestSignaturesStored(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	img := uncompressed(testimage.New(testimage.Options{Seed: 8}))
	ref := parse(t, st+"example.com/signed:1")
	dst := withBlobs(t, ref, img)
	defer dst.Close()
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	sigs := [][]byte{[]byte("first signature"), []byte("\x00sigstore-json\n{}")}
	if err := dst.(transport.SignatureDestination).PutSignatures(ctx, sigs, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := ref.NewSource(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if b, _, err := src.Manifest(ctx, nil); err != nil || !bytes.Equal(b, img.Manifest) {
		t.Errorf("Manifest: %v, not the stored bytes", err)
	}
	got, err := src.(transport.SignatureSource).Signatures(ctx, nil)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], sigs[0]) || !bytes.Equal(got[1], sigs[1]) {
		t.Errorf("Signatures: %q %v, want %q", got, err, sigs)
	}
}

// uncompressed rewrites img with its layers stored plain.
func uncompressed(img *testimage.Image) *testimage.Image {
	out := &testimage.Image{Config: img.Config, Blobs: map[digest.Digest][]byte{img.Config.Digest: img.Blobs[img.Config.Digest]}}
	var cfg ocispec.Image
	json.Unmarshal(img.Blobs[img.Config.Digest], &cfg)
	for i := range img.Layers {
		plain := gunzip(img.Blobs[img.Layers[i].Digest])
		d := ocispec.Descriptor{MediaType: manifest.MediaTypeOCILayer, Digest: digest.FromBytes(plain), Size: int64(len(plain))}
		out.Blobs[d.Digest] = plain
		out.Layers = append(out.Layers, d)
	}
	m := ocispec.Manifest{MediaType: manifest.MediaTypeOCIManifest, Config: img.Config, Layers: out.Layers}
	m.SchemaVersion = 2
	out.Manifest, _ = json.Marshal(m)
	out.MediaType = manifest.MediaTypeOCIManifest
	return out
}

// TestFailedCommitLeavesNothing: a layer whose content does not match
// the config's diff ID fails the commit, and the layers the commit made
// before it are removed: no image, no layer.
func TestFailedCommitLeavesNothing(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	img := testimage.New(testimage.Options{Seed: 9})
	// A config whose second diff ID lies.
	var cfg ocispec.Image
	json.Unmarshal(img.Blobs[img.Config.Digest], &cfg)
	cfg.RootFS.DiffIDs[1] = digest.FromString("something else")
	cb, _ := json.Marshal(cfg)
	config := ocispec.Descriptor{MediaType: manifest.MediaTypeOCIConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	m := ocispec.Manifest{MediaType: manifest.MediaTypeOCIManifest, Config: config, Layers: img.Layers}
	m.SchemaVersion = 2
	mb, _ := json.Marshal(m)

	ref := parse(t, st+"example.com/liar:1")
	dst, err := ref.NewDestination(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.PutBlob(ctx, config, bytes.NewReader(cb)); err != nil {
		t.Fatal(err)
	}
	for _, d := range img.Layers {
		if err := dst.PutBlob(ctx, d, bytes.NewReader(img.Blobs[d.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.PutManifest(ctx, mb, m.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("Commit: %v, want %v", err, errdefs.ErrDigestMismatch)
	}
	dst.Close()
	assertEmpty(t, st)
}

// TestCloseWithoutCommit: blobs written, then Close: the store holds
// nothing, and the name is not found.
func TestCloseWithoutCommit(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	img := testimage.New(testimage.Options{Seed: 10})
	ref := parse(t, st+"example.com/gone:1")
	dst := withBlobs(t, ref, img)
	dst.PutManifest(ctx, img.Manifest, img.MediaType, nil)
	dst.Close()
	if _, err := ref.NewSource(ctx, options(t)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("NewSource: %v, want %v", err, errdefs.ErrNotFound)
	}
	assertEmpty(t, st)
}

// assertEmpty checks the store's own records: no image, no layer.
func assertEmpty(t *testing.T, spec string) {
	t.Helper()
	root := spec[len("[vfs@"):]
	root = root[:bytes.IndexByte([]byte(root), '+')]
	for _, f := range []string{"vfs-images/images.json", "vfs-layers/layers.json"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue
		}
		var recs []json.RawMessage
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(recs) != 0 {
			t.Errorf("%s holds %d records, want none", f, len(recs))
		}
	}
}

func gunzip(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	return out
}

// TestLayerReusedUnderAnotherParent: a layer the store holds on top of
// another is reported present, and an image that has it as its base
// layer is built from the stored copy without the blob being sent again.
func TestLayerReusedUnderAnotherParent(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	a := testimage.New(testimage.Options{Seed: 11})
	write(t, parse(t, st+"example.com/a:1"), a, a.Blobs)

	// b: a's second layer alone.
	var acfg ocispec.Image
	json.Unmarshal(a.Blobs[a.Config.Digest], &acfg)
	bcfg := acfg
	bcfg.RootFS.DiffIDs = acfg.RootFS.DiffIDs[1:]
	bcfg.History = nil
	cb, _ := json.Marshal(bcfg)
	b := &testimage.Image{
		Config:    ocispec.Descriptor{MediaType: manifest.MediaTypeOCIConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))},
		Layers:    a.Layers[1:],
		MediaType: manifest.MediaTypeOCIManifest,
	}
	m := ocispec.Manifest{MediaType: b.MediaType, Config: b.Config, Layers: b.Layers}
	m.SchemaVersion = 2
	b.Manifest, _ = json.Marshal(m)
	// Only the config is sent: the layer must come from the store.
	write(t, parse(t, st+"example.com/b:1"), b, map[digest.Digest][]byte{b.Config.Digest: cb})

	src, err := parse(t, st+"example.com/b:1").NewSource(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, _, err := src.Manifest(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	gm, _ := manifest.ParseImage(got)
	if len(gm.Layers) != 1 || gm.Layers[0].Digest != acfg.RootFS.DiffIDs[1] {
		t.Fatalf("b's layers: %+v, want a's second", gm.Layers)
	}
	rc, err := src.Blob(ctx, gm.Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	body, _ := io.ReadAll(rc)
	if digest.FromBytes(body) != gm.Layers[0].Digest {
		t.Error("b's layer does not hold a's second layer")
	}
}

// withBlobs opens a destination at ref and puts every blob of img in it;
// the caller puts the manifest and closes it.
func withBlobs(t *testing.T, ref transport.Reference, img *testimage.Image) transport.Destination {
	t.Helper()
	ctx := context.Background()
	dst, err := ref.NewDestination(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if err := dst.PutBlob(ctx, d, bytes.NewReader(img.Blobs[d.Digest])); err != nil {
			dst.Close()
			t.Fatal(err)
		}
	}
	return dst
}

// write puts img through a destination at ref, sending only the blobs in
// send, and asking HasBlob first as the copier does.
func write(t *testing.T, ref transport.Reference, img *testimage.Image, send map[digest.Digest][]byte) {
	t.Helper()
	ctx := context.Background()
	dst, err := ref.NewDestination(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		body, ok := send[d.Digest]
		if !ok {
			if has, err := dst.HasBlob(ctx, d); err != nil || !has {
				t.Fatalf("HasBlob(%s): %v %v, want a layer the store holds", d.Digest, has, err)
			}
			continue
		}
		if err := dst.PutBlob(ctx, d, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSignaturesOfRewrittenManifest: an image pulled with compressed
// layers is served with a rewritten manifest, which its signatures do not
// sign: they are not handed on.
func TestSignaturesOfRewrittenManifest(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	img := testimage.New(testimage.Options{Seed: 12})
	ref := parse(t, st+"example.com/gz:1")
	dst := withBlobs(t, ref, img)
	defer dst.Close()
	dst.PutManifest(ctx, img.Manifest, img.MediaType, nil)
	dst.(transport.SignatureDestination).PutSignatures(ctx, [][]byte{[]byte("sig")}, nil)
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := ref.NewSource(ctx, options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if sigs, err := src.(transport.SignatureSource).Signatures(ctx, nil); err != nil || len(sigs) != 0 {
		t.Errorf("Signatures: %q %v, want none", sigs, err)
	}
}
