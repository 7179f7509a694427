package dockerarchive_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
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

// uncompressedDigest is the diff ID of a layer file as skopeo's dir:
// stores it (skopeo decompresses docker-archive layers).
func uncompressedDigest(t *testing.T, p string) digest.Digest {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return uncompressedDigestOf(t, b)
}

// TestSkopeoReadsFerryArchives: skopeo inspects ferry's archives (layers
// kept gzip or zstd) and copies them to dir: with the same config and
// layers whose uncompressed digests are the config's diff IDs.
func TestSkopeoReadsFerryArchives(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	for name, img := range map[string]*testimage.Image{
		"gzip": testimage.New(testimage.Options{Docker: true, Seed: 11}),
		"zstd": zstdImage(t),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "ferry.tar")
			write(t, path+":example.com/app:1", img, nil)
			want := diffIDs(t, img.Blobs[img.Config.Digest])

			var inspected struct{ Layers []digest.Digest }
			if err := json.Unmarshal(run(t, skopeo, "inspect", "docker-archive:"+path), &inspected); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, inspected.Layers); diff != "" {
				t.Errorf("skopeo inspect layers (-want +got):\n%s", diff)
			}
			out := filepath.Join(dir, "dir")
			run(t, skopeo, "copy", "-q", "docker-archive:"+path+":example.com/app:1", "dir:"+out)
			cfg, err := os.ReadFile(filepath.Join(out, img.Config.Digest.Encoded()))
			if err != nil || !bytes.Equal(cfg, img.Blobs[img.Config.Digest]) {
				t.Errorf("skopeo's config differs from ours (%v)", err)
			}
			for _, d := range want {
				if got := uncompressedDigest(t, filepath.Join(out, d.Encoded())); got != d {
					t.Errorf("layer %s decompresses to %s", d, got)
				}
			}
		})
	}
}

// TestFerryReadsSkopeoArchives: ferry reads skopeo's docker-archive
// (uncompressed layers, legacy ID/layer.tar symlinks), as a file and as a
// stream, with the same config and layers named by their diff IDs.
func TestFerryReadsSkopeoArchives(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	img := testimage.New(testimage.Options{Docker: true, Seed: 12, LayerSizes: []int{200 << 10, 100}})
	dir := t.TempDir()
	ours := filepath.Join(dir, "ferry.tar")
	theirs := filepath.Join(dir, "skopeo.tar")
	write(t, ours, img, nil)
	run(t, skopeo, "copy", "-q", "docker-archive:"+ours, "docker-archive:"+theirs+":example.com/app:2")

	file, err := readImage(t, open(t, theirs+":example.com/app:2", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(theirs)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := stream(t, open(t, "-", &transport.Options{Stdin: bytes.NewReader(b), TmpDir: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file.Manifest, streamed.Manifest) {
		t.Errorf("file and stream manifests differ:\n%s\n%s", file.Manifest, streamed.Manifest)
	}
	if file.Image.Config.Digest != img.Config.Digest {
		t.Errorf("config %s, want %s", file.Image.Config.Digest, img.Config.Digest)
	}
	want := diffIDs(t, img.Blobs[img.Config.Digest])
	for i, l := range file.Image.Layers {
		if l.Digest != want[i] || digest.FromBytes(file.Blobs[l.Digest]) != want[i] {
			t.Errorf("layer %d: %s, want the diff ID %s", i, l.Digest, want[i])
		}
	}
}
