package ociarchive_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/google/go-cmp/cmp"
)

// TestResumesPartialArchive: a partial archive a killed copy left beside
// the target (oci-layout and one complete layer, then a member cut short)
// is continued: the layer it holds is reported present, the cut member
// is rewritten, and the result is a whole archive holding every member
// once.
func TestResumesPartialArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{Seed: 81, LayerSizes: []int{100 << 10, 50 << 10}})
	dir := t.TempDir()
	target := filepath.Join(dir, "app.tar")
	l0, l1 := img.Layers[0], img.Layers[1]
	blob := func(i int) string { return "blobs/sha256/" + img.Layers[i].Digest.Encoded() }
	partial := tartest.Tar(t,
		tartest.File("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)),
		tartest.File(blob(0), img.Blobs[l0.Digest]),
		tartest.File(blob(1), img.Blobs[l1.Digest]))
	partial = partial[:len(partial)-1024-int(l1.Size)/2] // killed inside layer 1
	if err := os.WriteFile(filepath.Join(dir, archive.PartialPrefix+"app.tar"), partial, 0o600); err != nil {
		t.Fatal(err)
	}

	dst, err := parse(t, target+":app").NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for i, l := range img.Layers {
		has, err := dst.HasBlob(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0; has != want {
			t.Errorf("layer %d: HasBlob %v, want %v", i, has, want)
		}
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	got := orderOf(t, b)
	sort.Strings(got)
	want := []string{"blobs/sha256/" + img.Config.Digest.Encoded(), "blobs/sha256/" + img.Digest.Encoded(), blob(0), blob(1), "index.json", "oci-layout"}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	src, err := parse(t, target+":app").NewSource(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := collect(t, src, false); err != nil {
		t.Fatalf("the resumed archive: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left beside the archive: %v", left)
	}
}
