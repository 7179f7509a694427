package dockerarchive_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
)

// TestCopyStreamsStdin: the copier reads an archive on stdin with Stream
// when the destination takes blobs in any order, so nothing is spooled:
// TmpDir does not even exist.
func TestCopyStreamsStdin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{Docker: true, Seed: 51, LayerSizes: []int{160 << 10, 100}})
	path := filepath.Join(t.TempDir(), "a.tar")
	write(t, path+":app:1", img, nil)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := parse(t, "-:app:1")
	dst, err := layout.ParseReference(filepath.Join(dir, "layout") + ":app")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(dir, "no", "such", "dir")
	_, err = copier.Copy(ctx, src, dst, copier.Options{
		Source: transport.Options{Stdin: bytes.NewReader(tartest.Gzip(t, raw)), TmpDir: nowhere},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := dst.NewSource(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	got, err := readImage(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Image.Config.Digest != img.Config.Digest {
		t.Errorf("config %s, want %s", got.Image.Config.Digest, img.Config.Digest)
	}
	// The layout wants compressed layers: the layers, served
	// decompressed, are gzipped again, with the same content.
	for i, l := range got.Image.Layers {
		if l.MediaType != manifest.MediaTypeOCILayerGz || !bytes.Equal(gunzip(t, got.Blobs[l.Digest]), gunzip(t, img.Blobs[img.Layers[i].Digest])) {
			t.Errorf("layer %d: %s %s, want the content of %s gzipped", i, l.MediaType, l.Digest, img.Layers[i].Digest)
		}
	}
}
