package cli

import (
	"context"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
	armv7 = manifest.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
)

// writable is what testimage builds: an image or an index.
type writable interface {
	Write(ctx context.Context, dst transport.Destination) error
}

// writeOCI stores img in an OCI layout as "oci:PATH:REF" with ferry's own
// layout transport, and returns that name.
func writeOCI(t *testing.T, path, ref string, img writable) string {
	t.Helper()
	name := path + ":" + ref
	r, err := layout.ParseReference(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dst, err := r.NewDestination(ctx, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
	return "oci:" + name
}

// ociFixture is a layout holding a three-platform index ("multi") and a
// single Docker-format image with labels ("single").
type ociFixture struct {
	dir           string
	multi, single string // image names
	ix            *testimage.Index
	img           *testimage.Image
}

func newOCIFixture(t *testing.T) *ociFixture {
	t.Helper()
	f := &ociFixture{
		dir: t.TempDir(),
		ix:  testimage.NewIndex(false, amd64, arm64, armv7),
		img: testimage.New(testimage.Options{Docker: true, Seed: 42, Labels: map[string]string{"maintainer": "ferry <tests@example.com>"}}),
	}
	f.multi = writeOCI(t, f.dir, "multi", f.ix)
	f.single = writeOCI(t, f.dir, "single", f.img)
	return f
}
