package layout_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
)

// testImage is what testimage builds: a single image or an index.
type testImage interface {
	Write(ctx context.Context, dst transport.Destination) error
	Source() *testimage.Source
}

func parse(t *testing.T, s string) *layout.Reference {
	t.Helper()
	r, err := layout.ParseReference(s)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

// write stores img in the layout as "PATH[:REF]" and commits.
func write(t *testing.T, name string, img testImage) {
	t.Helper()
	ctx := context.Background()
	dst, err := parse(t, name).NewDestination(ctx, nil)
	if err != nil {
		t.Fatalf("NewDestination(%s): %v", name, err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
}

// open opens "PATH[:REF]" as a source.
func open(t *testing.T, name string) transport.Source {
	t.Helper()
	src, err := parse(t, name).NewSource(context.Background(), nil)
	if err != nil {
		t.Fatalf("NewSource(%s): %v", name, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// leftovers lists temporary and lock files anywhere under root.
func leftovers(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), fsutil.TempPrefix) || strings.HasSuffix(e.Name(), ".lock") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobFiles lists the blob files of a layout, sorted.
func blobFiles(t *testing.T, root string) []string {
	t.Helper()
	got, err := filepath.Glob(filepath.Join(root, "blobs", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}
