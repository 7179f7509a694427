package copier_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/progress"
)

type kinds struct {
	mu sync.Mutex
	k  []progress.Kind
}

func (r *kinds) Report(e progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind.IsImage() {
		r.k = append(r.k, e.Kind)
	}
}

// TestSkipExisting: with SkipExisting, a dir: that already holds the image
// is left alone (no blob read, ImageSkipped); a different image is copied.
func TestSkipExisting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	img := testimage.New(testimage.Options{Docker: true})
	if _, err := copier.Copy(ctx, &srcRef{img: img}, parse(t, "dir:"+src), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+out), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, out)

	var rec kinds
	ref := &countingRef{Reference: parse(t, "dir:"+src)}
	res, err := copier.Copy(ctx, ref, parse(t, "dir:"+out), copier.Options{SkipExisting: true, Progress: &rec})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped || res.Digest != img.Digest {
		t.Errorf("result %+v, want skipped with digest %s", res, img.Digest)
	}
	if n := ref.blobs.Load(); n != 0 {
		t.Errorf("%d blobs read for an image already present", n)
	}
	if want := []progress.Kind{progress.ImageStarted, progress.ImageSkipped}; !slices.Equal(rec.k, want) {
		t.Errorf("image events %v, want %v", rec.k, want)
	}
	if !equalTrees(before, tree(t, out)) {
		t.Error("the destination changed")
	}

	// A conversion writes another manifest: not present, so copied.
	res, err = copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+out), copier.Options{SkipExisting: true, Format: "oci"})
	if err != nil || res.Skipped {
		t.Fatalf("converted copy: %+v, %v; want copied", res, err)
	}
	// Another image is copied over it.
	other := testimage.New(testimage.Options{Seed: 5})
	res, err = copier.Copy(ctx, &srcRef{img: other}, parse(t, "dir:"+out), copier.Options{SkipExisting: true})
	if err != nil || res.Skipped || res.Digest != other.Digest {
		t.Fatalf("other image: %+v, %v; want copied", res, err)
	}
}
