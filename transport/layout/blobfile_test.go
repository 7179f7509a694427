package layout_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// TestPutBlobFileLinks: a verified blob from the download cache enters the
// layout as a hard link, so its bytes are written once.
func TestPutBlobFileLinks(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	cache := filepath.Join(t.TempDir(), "blob")
	layer := img.Layers[0]
	if err := os.WriteFile(cache, img.Blobs[layer.Digest], 0o644); err != nil {
		t.Fatal(err)
	}
	// An existing (empty) directory is written in place.
	root := t.TempDir()
	dst, err := parse(t, root+":v1").NewDestination(context.Background(), &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.(transport.BlobFileDestination).PutBlobFile(context.Background(), layer, cache); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(root, "blobs", "sha256", layer.Digest.Encoded())
	b := readFile(t, stored)
	if digest.FromBytes(b) != layer.Digest {
		t.Fatal("stored blob differs")
	}
	a, _ := os.Stat(cache)
	c, _ := os.Stat(stored)
	if a.Sys().(*syscall.Stat_t).Ino != c.Sys().(*syscall.Stat_t).Ino {
		t.Error("the blob was copied, not linked")
	}
	// A file of the wrong size is refused and leaves nothing.
	other := img.Layers[1]
	if err := dst.(transport.BlobFileDestination).PutBlobFile(context.Background(), other, cache); err == nil {
		t.Error("a file of the wrong size was accepted")
	}
	if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", other.Digest.Encoded())); !os.IsNotExist(err) {
		t.Error("a refused blob file was stored")
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, root); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
