//go:build linux

package main

import (
	"os"
	"testing"
)

// TestGenerateDeterministic checks that a size always yields the same
// image (so cached and regenerated images are interchangeable) and that
// its layers compress like real ones.
func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	a, err := generateImage(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generateImage(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	if a.ManifestDigest != b.ManifestDigest {
		t.Errorf("manifest digest: got %s and %s for the same size", a.ManifestDigest, b.ManifestDigest)
	}
	if got, want := len(a.Layers), len(layerShares); got != want {
		t.Fatalf("layers: got %d, want %d", got, want)
	}
	for i, l := range a.Layers {
		if l.Size < int64(float64(size)*layerShares[i]) {
			t.Errorf("layer %d: %d bytes, want at least %.0f", i, l.Size, float64(size)*layerShares[i])
		}
	}
	if got := float64(a.Uncompressed) / float64(a.Compressed()); got < 2 || got > 3.5 {
		t.Errorf("gzip ratio: got %.2f, want between 2 and 3.5", got)
	}
	c, err := cachedImage(a.Dir)
	if err != nil {
		t.Fatalf("cachedImage after generate: %v", err)
	}
	if c.ManifestDigest != a.ManifestDigest {
		t.Errorf("cached digest: got %s, want %s", c.ManifestDigest, a.ManifestDigest)
	}
	if err := os.Remove(a.BlobPath(a.Layers[0].Digest)); err != nil {
		t.Fatal(err)
	}
	if _, err := cachedImage(a.Dir); err == nil {
		t.Error("cachedImage: got no error with a blob missing")
	}
}
