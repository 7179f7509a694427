package dir_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
)

// TestPutBlobFileLinks: a verified blob from the download cache enters the
// directory as a hard link, and the committed image reads back whole.
func TestPutBlobFileLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{})
	cacheDir := t.TempDir()
	root := filepath.Join(t.TempDir(), "img")
	dst, err := ref(root).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, d := range append(img.Layers, img.Config) {
		p := filepath.Join(cacheDir, d.Digest.Encoded())
		if err := os.WriteFile(p, img.Blobs[d.Digest], 0o644); err != nil {
			t.Fatal(err)
		}
		if err := dst.(transport.BlobFileDestination).PutBlobFile(ctx, d, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	transporttest.AssertSame(t, img.Source(), open(t, root))
	a, _ := os.Stat(filepath.Join(cacheDir, img.Layers[0].Digest.Encoded()))
	c, _ := os.Stat(filepath.Join(root, img.Layers[0].Digest.Encoded()))
	if a.Sys().(*syscall.Stat_t).Ino != c.Sys().(*syscall.Stat_t).Ino {
		t.Error("the blob was copied, not linked")
	}
}
