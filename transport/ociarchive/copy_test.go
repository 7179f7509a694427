package ociarchive_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/google/go-cmp/cmp"
)

// TestCopyStreamsStdin: the copier reads a multi-platform archive on
// stdin with Stream (TmpDir does not exist, so nothing can be spooled) and
// the layout it writes holds the index and every instance unchanged.
func TestCopyStreamsStdin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix := testimage.NewIndex(false, amd64, arm64)
	var raw bytes.Buffer
	write(t, "-:multi", ix, &transport.Options{Stdout: &raw})
	dir := t.TempDir()
	dst, err := layout.ParseReference(filepath.Join(dir, "layout") + ":multi")
	if err != nil {
		t.Fatal(err)
	}
	_, err = copier.Copy(ctx, parse(t, "-:multi"), dst, copier.Options{
		MultiArch: copier.All,
		Source:    transport.Options{Stdin: &raw, TmpDir: filepath.Join(dir, "no", "such", "dir")},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := dst.NewSource(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	got, err := collect(t, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(ix), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
