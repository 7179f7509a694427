package transporttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func hostileNames(t *testing.T, s Subject) {
	ctx := context.Background()
	for _, name := range s.HostileNames {
		r, err := s.Transport.ParseReference(name)
		if err != nil {
			continue
		}
		dst, err := r.NewDestination(ctx, s.options(t))
		if err == nil {
			dst.Close()
			t.Errorf("%s:%s was accepted as a destination", s.Transport.Name(), name)
		}
	}
}

// hostileDigestsRefused: a destination refuses to store, and a source to
// serve, anything under a digest that is not one.
func hostileDigestsRefused(t *testing.T, s Subject) {
	ctx := context.Background()
	ref := s.parse(t, s.NewName(t))
	dst, err := ref.NewDestination(ctx, s.options(t))
	if err != nil {
		t.Fatalf("NewDestination: %v", err)
	}
	defer dst.Close()
	content := []byte("hostile")
	for _, d := range hostileDigests {
		desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: int64(len(content))}
		if err := dst.PutBlob(ctx, desc, bytes.NewReader(content)); err == nil {
			t.Errorf("PutBlob(%q) succeeded", d)
		}
		if has, err := dst.HasBlob(ctx, desc); err == nil && has {
			t.Errorf("HasBlob(%q) is true", d)
		}
		dd := d
		if err := dst.PutManifest(ctx, []byte(`{"schemaVersion":2}`), "application/vnd.oci.image.manifest.v1+json", &dd); err == nil {
			t.Errorf("PutManifest(instance %q) succeeded", d)
		}
	}
	dst.Close()

	// The same digests asked of a source of a committed image.
	img := testimage.New(testimage.Options{Seed: 5})
	ref = s.parse(t, s.NewName(t))
	if dst, err = ref.NewDestination(ctx, s.options(t)); err != nil {
		t.Fatalf("NewDestination: %v", err)
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("write: %v", err)
	}
	dst.Close()
	src, err := ref.NewSource(ctx, s.options(t))
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	defer src.Close()
	hostileSource(t, src)
}

// hostileSource checks that src serves nothing under a hostile digest.
func hostileSource(t *testing.T, src transport.Source) {
	t.Helper()
	ctx := context.Background()
	for _, d := range hostileDigests {
		dd := d
		if _, _, err := src.Manifest(ctx, &dd); err == nil {
			t.Errorf("Manifest(%q) succeeded", d)
		}
		rc, err := src.Blob(ctx, ocispec.Descriptor{Digest: d, Size: -1})
		if err == nil {
			rc.Close()
			t.Errorf("Blob(%q) succeeded", d)
		}
	}
}
