package ociarchive_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
)

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// TestSkopeoReadsFerryArchives: skopeo sees ferry's manifests byte for
// byte and copies the image out of the archive unchanged.
func TestSkopeoReadsFerryArchives(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	img := testimage.New(testimage.Options{Seed: 21})
	path := filepath.Join(dir, "img.tar")
	write(t, path+":v1", img, nil)
	if got := run(t, skopeo, "inspect", "--raw", "oci-archive:"+path+":v1"); !bytes.Equal(got, img.Manifest) {
		t.Errorf("skopeo inspect --raw: %s, want %s", got, img.Manifest)
	}
	out := filepath.Join(dir, "dir")
	run(t, skopeo, "copy", "-q", "oci-archive:"+path+":v1", "dir:"+out)
	if got, _ := os.ReadFile(filepath.Join(out, "manifest.json")); !bytes.Equal(got, img.Manifest) {
		t.Errorf("skopeo copied manifest %s, want %s", got, img.Manifest)
	}
	for d, b := range img.Blobs {
		if got, err := os.ReadFile(filepath.Join(out, d.Encoded())); err != nil || !bytes.Equal(got, b) {
			t.Errorf("blob %s differs after skopeo copy (%v)", d, err)
		}
	}

	ix := testimage.NewIndex(false, amd64, arm64)
	ixPath := filepath.Join(dir, "index.tar")
	write(t, ixPath+":multi", ix, nil)
	if got := run(t, skopeo, "inspect", "--raw", "oci-archive:"+ixPath+":multi"); !bytes.Equal(got, ix.Manifest) {
		t.Errorf("skopeo inspect --raw of an index: %s, want %s", got, ix.Manifest)
	}
}

// TestFerryReadsSkopeoArchives: ferry reads the oci-archive skopeo writes,
// as a file and as a stream, and finds the image unchanged.
func TestFerryReadsSkopeoArchives(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	img := testimage.New(testimage.Options{Seed: 22, LayerSizes: []int{160 << 10, 10}})
	ours := filepath.Join(dir, "ferry.tar")
	theirs := filepath.Join(dir, "skopeo.tar")
	write(t, ours+":v1", img, nil)
	run(t, skopeo, "copy", "-q", "oci-archive:"+ours+":v1", "oci-archive:"+theirs+":v2")
	b, err := os.ReadFile(theirs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref    string
		stream bool
	}{{theirs + ":v2", false}, {"-:v2", true}} {
		src, err := parse(t, tc.ref).NewSource(context.Background(), &transport.Options{Stdin: bytes.NewReader(b), TmpDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, src, tc.stream)
		src.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if diff := cmp.Diff(want(img), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.ref, diff)
		}
	}
}
