package layout_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// sharedRef parses "PATH[:REF]" for the oci: transport with blobs in
// shared.
func sharedRef(t *testing.T, shared, name string) transport.Reference {
	t.Helper()
	r, err := layout.New(layout.Config{SharedBlobDir: shared}).ParseReference(name)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", name, err)
	}
	return r
}

// writeShared stores img as "PATH[:REF]" with blobs in shared and commits.
func writeShared(t *testing.T, shared, name string, img testImage) {
	t.Helper()
	dst, err := sharedRef(t, shared, name).NewDestination(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := img.Write(t.Context(), dst); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
}

// sharedFiles lists the blob files of a shared directory (DIR/ALG/HEX).
func sharedFiles(t *testing.T, shared string) []string {
	t.Helper()
	got, err := filepath.Glob(filepath.Join(shared, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSharedBlobDirWithSkopeo: with a shared blob directory, every blob
// (manifests and configs too) is DIR/sha256/HEX and each layout's blobs/
// is empty, both for a new layout and one written into; skopeo 1.9.3
// reads ferry's layouts through the same directory, ferry reads skopeo's,
// and without the directory the image's blobs are not found.
func TestSharedBlobDirWithSkopeo(t *testing.T) {
	t.Parallel()
	shared := filepath.Join(t.TempDir(), "shared")
	root := filepath.Join(t.TempDir(), "a")
	img := testimage.NewIndex(false, amd64, arm64)
	other := testimage.New(testimage.Options{Seed: 7})
	writeShared(t, shared, root+":idx", img)
	writeShared(t, shared, root+":one", other) // into the existing layout

	if got := blobFiles(t, root); len(got) != 0 {
		t.Errorf("the layout's own blobs/ holds %v, want nothing", got)
	}
	if st, err := os.Stat(filepath.Join(root, "blobs")); err != nil || !st.IsDir() {
		t.Errorf("the layout has no blobs/ directory (image-layout.md requires one): %v", err)
	}
	want := map[string]bool{}
	for _, src := range []*testimage.Source{img.Source(), other.Source()} {
		for _, m := range []map[digest.Digest][]byte{src.Blobs, src.Manifests} {
			for d := range m {
				want[filepath.Join(shared, d.Algorithm().String(), d.Encoded())] = true
			}
		}
	}
	for _, f := range sharedFiles(t, shared) {
		if !want[f] {
			t.Errorf("shared directory holds %s, which neither image has", f)
		}
		delete(want, f)
	}
	if len(want) > 0 {
		t.Errorf("shared directory lacks %v", want)
	}

	if got := skopeo(t, "inspect", "--raw", "--shared-blob-dir", shared, "oci:"+root+":one"); !bytes.Equal(got, other.Manifest) {
		t.Errorf("skopeo inspect --raw: %q, want %q", got, other.Manifest)
	}
	out := filepath.Join(t.TempDir(), "out")
	skopeo(t, "copy", "--all", "--src-shared-blob-dir", shared, "oci:"+root+":idx", "dir:"+out)
	transporttest.AssertSame(t, img.Source(), openDir(t, out))

	theirs := filepath.Join(t.TempDir(), "b")
	skopeo(t, "copy", "--all", "--dest-shared-blob-dir", shared, "dir:"+out, "oci:"+theirs+":s")
	src, err := sharedRef(t, shared, theirs+":s").NewSource(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	transporttest.AssertSame(t, img.Source(), src)

	plain, err := parse(t, root+":one").NewSource(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, _, err := plain.Manifest(t.Context(), nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("reading without the shared directory: %v, want ErrNotFound", err)
	}
}

// TestSharedBlobDirFailedCopyKeepsBlobs: a copy that fails into a new
// layout or into another existing one, both with the shared blob
// directory, leaves them as they were and removes no blob from the shared
// directory: the first layout's image still uses each of them (a layout's
// own rollback would take back blobs its index.json does not name).
func TestSharedBlobDirFailedCopyKeepsBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shared := t.TempDir()
	img := testimage.New(testimage.Options{Seed: 8, LayerSizes: []int{4 << 10, 100}})
	first := filepath.Join(t.TempDir(), "first")
	second := filepath.Join(t.TempDir(), "second")
	writeShared(t, shared, first+":v1", img)
	writeShared(t, shared, second+":other", testimage.New(testimage.Options{Seed: 9}))
	before := sharedFiles(t, shared)
	secondIndex := readFile(t, filepath.Join(second, "index.json"))

	fresh := filepath.Join(t.TempDir(), "new")
	for _, target := range []string{fresh, second} {
		dst, err := sharedRef(t, shared, target+":v2").NewDestination(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for d, b := range img.Blobs {
			if err := dst.PutBlob(ctx, ocispec.Descriptor{Digest: d, Size: int64(len(b))}, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
		}
		dst.Close() // no Commit: the copy failed
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed copy into a new layout left it behind (%v)", err)
	}
	if got := readFile(t, filepath.Join(second, "index.json")); !bytes.Equal(got, secondIndex) {
		t.Errorf("a failed copy changed index.json: %s", got)
	}
	if diff := cmp.Diff(before, sharedFiles(t, shared)); diff != "" {
		t.Errorf("the shared directory changed (-before +after):\n%s", diff)
	}
	transporttest.AssertSame(t, img.Source(), openShared(t, shared, first+":v1"))
}

// openShared opens "PATH[:REF]" with blobs in shared.
func openShared(t *testing.T, shared, name string) transport.Source {
	t.Helper()
	src, err := sharedRef(t, shared, name).NewSource(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}
