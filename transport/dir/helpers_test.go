package dir_test

import (
	"bytes"
	"context"
	"os"
	"sort"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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

func descFor(d digest.Digest, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
}

func ref(path string) *dir.Reference { return &dir.Reference{Path: path} }

// write stores img in dir:path and commits.
func write(t *testing.T, path string, img testImage) {
	t.Helper()
	ctx := context.Background()
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		t.Fatalf("NewDestination(%s): %v", path, err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func open(t *testing.T, path string) transport.Source {
	t.Helper()
	src, err := ref(path).NewSource(context.Background(), nil)
	if err != nil {
		t.Fatalf("NewSource(%s): %v", path, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// expectedFiles lists the files skopeo's format gives img in a directory.
func expectedFiles(img testImage) []string {
	src := img.Source()
	files := []string{"manifest.json", "version"}
	for d := range src.Blobs {
		files = append(files, d.Encoded())
	}
	for d := range src.Manifests {
		if !bytes.Equal(src.Manifests[d], src.Top) {
			files = append(files, d.Encoded()+".manifest.json")
		}
	}
	sort.Strings(files)
	return files
}

// files lists the names in path, sorted.
func files(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
