package tarball_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/tarball"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func open(t *testing.T, ref string, o *transport.Options) (transport.Source, error) {
	t.Helper()
	r, err := tarball.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r.NewSource(context.Background(), o)
}

func TestLayers(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	plain := [][]byte{testimage.LayerTar(rng, 0, 2000), testimage.LayerTar(rng, 1, 3000), testimage.LayerTar(rng, 2, 100)}
	stored := [][]byte{plain[0], tartest.Gzip(t, plain[1]), tartest.Zstd(t, plain[2])}
	files := []string{tartest.WriteFile(t, "a.tar", stored[0]), tartest.WriteFile(t, "b.tar.gz", stored[1]), "-"}
	tmp := t.TempDir()
	o := &transport.Options{Stdin: bytes.NewReader(stored[2]), TmpDir: tmp, Platform: manifest.Platform{Architecture: "arm64", Variant: "v8"}}
	src, err := open(t, strings.Join(files, ":"), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mb, mt, err := src.Manifest(ctx, nil)
	if err != nil || mt != manifest.MediaTypeOCIManifest {
		t.Fatalf("Manifest: %s, %v", mt, err)
	}
	m, err := manifest.ParseImage(mb)
	if err != nil {
		t.Fatal(err)
	}
	var got []ocispec.Descriptor
	for _, l := range m.Layers {
		got = append(got, l)
	}
	want := []ocispec.Descriptor{
		{MediaType: manifest.MediaTypeOCILayer, Digest: digest.FromBytes(stored[0]), Size: int64(len(stored[0]))},
		{MediaType: manifest.MediaTypeOCILayerGz, Digest: digest.FromBytes(stored[1]), Size: int64(len(stored[1]))},
		{MediaType: manifest.MediaTypeOCILayerZst, Digest: digest.FromBytes(stored[2]), Size: int64(len(stored[2]))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	blobs := map[digest.Digest][]byte{}
	for _, d := range manifest.Blobs(m) {
		rc, err := src.Blob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		vr, _ := verify.NewReader(rc, d.Digest, d.Size)
		b, err := io.ReadAll(vr)
		rc.Close()
		if err != nil {
			t.Fatalf("blob %s: %v", d.Digest, err)
		}
		blobs[d.Digest] = b
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(blobs[m.Config.Digest], &cfg); err != nil {
		t.Fatal(err)
	}
	wantDiff := []digest.Digest{digest.FromBytes(plain[0]), digest.FromBytes(plain[1]), digest.FromBytes(plain[2])}
	if diff := cmp.Diff(wantDiff, cfg.RootFS.DiffIDs); diff != "" {
		t.Errorf("diff IDs (-want +got):\n%s", diff)
	}
	if cfg.OS != "linux" || cfg.Architecture != "arm64" || cfg.Variant != "v8" {
		t.Errorf("platform %s/%s/%s, want linux/arm64/v8", cfg.OS, cfg.Architecture, cfg.Variant)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if left := tartest.Listing(t, tmp); len(left) != 0 {
		t.Errorf("stdin spool left behind: %v", left)
	}

	// The same files give the same image.
	again, err := open(t, files[0]+":"+files[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	once, err := open(t, files[0]+":"+files[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer once.Close()
	a, _, _ := again.Manifest(ctx, nil)
	b, _, _ := once.Manifest(ctx, nil)
	if !bytes.Equal(a, b) {
		t.Errorf("two reads of the same files differ:\n%s\n%s", a, b)
	}
}

func TestBadLayers(t *testing.T) {
	t.Parallel()
	good := tartest.WriteFile(t, "good.tar", tartest.Tar(t, tartest.File("a", []byte("a"))))
	for _, tc := range []struct {
		name string
		ref  string
		want error
	}{
		{"missing file", good + ":" + t.TempDir() + "/nope.tar", errdefs.ErrNotFound},
		{"not a tar", tartest.WriteFile(t, "x", bytes.Repeat([]byte("not a tar"), 200)), errdefs.ErrInvalidArchive},
		{"gzip of not a tar", tartest.WriteFile(t, "x.gz", tartest.Gzip(t, bytes.Repeat([]byte("junk"), 300))), errdefs.ErrInvalidArchive},
		{"truncated gzip", tartest.WriteFile(t, "t.gz", tartest.Gzip(t, tartest.Tar(t, tartest.File("a", bytes.Repeat([]byte("a"), 5000))))[:40]), errdefs.ErrInvalidArchive},
		{"xz", tartest.WriteFile(t, "x.xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}), errdefs.ErrNotSupported},
		{"stdin twice", "-:-", errdefs.ErrInvalidReference},
		{"a directory", t.TempDir(), errdefs.ErrInvalidArgument},
	} {
		src, err := open(t, tc.ref, &transport.Options{Stdin: bytes.NewReader(nil), TmpDir: t.TempDir()})
		if err == nil {
			src.Close()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestSameConfigAsSkopeo: for the same files ferry writes the config
// skopeo writes, so the image ID is the same.
func TestSameConfigAsSkopeo(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	rng := rand.New(rand.NewSource(2))
	a := tartest.WriteFile(t, "a.tar", testimage.LayerTar(rng, 0, 3000))
	b := tartest.WriteFile(t, "b.tar.gz", tartest.Gzip(t, testimage.LayerTar(rng, 1, 3000)))
	ref := a + ":" + b
	out, err := exec.Command(skopeo, "inspect", "--config", "--raw", "tarball:"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	src, err := open(t, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, _, _ := src.Manifest(context.Background(), nil)
	m, _ := manifest.ParseImage(mb)
	rc, err := src.Blob(context.Background(), m.Config)
	if err != nil {
		t.Fatal(err)
	}
	ours, _ := io.ReadAll(rc)
	rc.Close()
	if diff := cmp.Diff(string(out), string(ours)); diff != "" {
		t.Errorf("config (-skopeo +ferry):\n%s", diff)
	}
}

// The library never reads the process's own stdin: "-" without
// Options.Stdin is a clear error, not a read of os.Stdin.
func TestStdinMustBeGiven(t *testing.T) {
	t.Parallel()
	ref, err := tarball.Transport.ParseReference("-")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*transport.Options{nil, {}} {
		if _, err := ref.NewSource(context.Background(), o); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("options %+v: %v, want ErrInvalidArgument", o, err)
		}
	}
}
