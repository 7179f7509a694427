package ociarchive_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
)

// TestReadsArchivesCompressedWhole: an oci-archive compressed as a whole
// by gzip, zstd, xz or bzip2 is recognised by its content (the file keeps
// the name .tar) and serves the image unchanged, from a file and from
// stdin.
func TestReadsArchivesCompressedWhole(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Seed: 81, LayerSizes: []int{40 << 10, 10}})
	plainPath := filepath.Join(t.TempDir(), "plain.tar")
	write(t, plainPath+":v1", img, nil)
	plain, err := os.ReadFile(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, tool := range tartest.Compressors {
		packed := tartest.CompressWith(t, tool, plain)
		path := tartest.WriteFile(t, "image.tar", packed)
		for _, tc := range []struct {
			ref    string
			stream bool
		}{{path + ":v1", false}, {"-:v1", true}} {
			src, err := parse(t, tc.ref).NewSource(context.Background(), &transport.Options{Stdin: bytes.NewReader(packed), TmpDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, src, tc.stream)
			src.Close()
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.ref, err)
			}
			if diff := cmp.Diff(want(img), got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", name, tc.ref, diff)
			}
		}
	}
}
