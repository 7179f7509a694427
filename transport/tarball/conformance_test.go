package tarball_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/tarball"
)

// TestConformance runs the read half of the transport suite: tarball: is
// a source only.
func TestConformance(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport: tarball.Transport,
		Seed: func(t *testing.T, img *testimage.Image) string {
			dir := t.TempDir()
			var files []string
			for i, l := range img.Layers {
				p := filepath.Join(dir, "layer"+string(rune('a'+i))+".tar.gz")
				if err := os.WriteFile(p, img.Blobs[l.Digest], 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, p)
			}
			return strings.Join(files, ":")
		},
		Options:      func(t *testing.T) *transport.Options { return &transport.Options{TmpDir: t.TempDir()} },
		HostileNames: []string{"", "a.tar::b.tar", ":"},
	})
}
