package dockerarchive_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdocker.Stop()
	os.Exit(code)
}

type dockerImage struct {
	ID       string `json:"Id"`
	RepoTags []string
	RootFS   struct{ Layers []digest.Digest }
}

func dockerInspect(t *testing.T, d *testdocker.Daemon, name string) dockerImage {
	t.Helper()
	var out []dockerImage
	if err := json.Unmarshal(d.Docker(t, "image", "inspect", name), &out); err != nil || len(out) != 1 {
		t.Fatalf("docker image inspect %s: %v", name, err)
	}
	sort.Strings(out[0].RepoTags) // the Engine lists them in no set order
	return out[0]
}

// TestDockerLoadsFerryArchives: `docker load` takes ferry's archive with
// its layers still gzip-compressed, from a file and streamed on stdin, and
// the image it makes has the expected diff IDs and names.
func TestDockerLoadsFerryArchives(t *testing.T) {
	d := testdocker.Start(t)
	img := testimage.New(testimage.Options{Docker: true, Seed: 41, LayerSizes: []int{160 << 10, 100}})
	want := diffIDs(t, img.Blobs[img.Config.Digest])

	path := filepath.Join(t.TempDir(), "a.tar")
	writeWith(t, dockerarchive.Config{AdditionalTags: []string{"loaded:extra"}}, path+":example.com/loaded:1", img, nil)
	d.Docker(t, "load", "-i", path)
	// The daemon outlives the test (-count 2 would find this run's names).
	t.Cleanup(func() { d.Docker(t, "image", "rm", "-f", img.Config.Digest.String()) })
	got := dockerInspect(t, d, "example.com/loaded:1")
	if diff := cmp.Diff(want, got.RootFS.Layers); diff != "" {
		t.Errorf("RootFS layers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"example.com/loaded:1", "loaded:extra"}, got.RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	if got.ID != img.Config.Digest.String() {
		t.Errorf("image ID %s, want %s", got.ID, img.Config.Digest)
	}

	// ferry copy ... docker-archive:- | docker load
	cli := testenv.NeedCommand(t, "docker")
	cmd := exec.Command(cli, "load")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	write(t, "-:piped:1", img, &transport.Options{Stdout: stdin})
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker load: %v\n%s", err, stderr.Bytes())
	}
	if diff := cmp.Diff(want, dockerInspect(t, d, "piped:1").RootFS.Layers); diff != "" {
		t.Errorf("piped: RootFS layers (-want +got):\n%s", diff)
	}
}

// TestFerryReadsDockerSave: ferry reads `docker save` output of several
// images, picking each by name, from the file and as a stream.
func TestFerryReadsDockerSave(t *testing.T) {
	d := testdocker.Start(t)
	imgs := map[string]*testimage.Image{
		"saved/one:1": testimage.New(testimage.Options{Docker: true, Seed: 42, LayerSizes: []int{160 << 10, 100}}),
		"saved/two:2": testimage.New(testimage.Options{Docker: true, Seed: 43}),
	}
	dir := t.TempDir()
	for name, img := range imgs {
		p := filepath.Join(dir, digest.FromString(name).Encoded()+".tar")
		write(t, p+":"+name, img, nil)
		d.Docker(t, "load", "-i", p)
	}
	saved := filepath.Join(dir, "saved.tar")
	d.Docker(t, "save", "-o", saved, "saved/one:1", "saved/two:2")
	raw, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	for name, img := range imgs {
		want := diffIDs(t, img.Blobs[img.Config.Digest])
		for _, mode := range []string{"file", "stream"} {
			var got *read
			if mode == "file" {
				got, err = readImage(t, open(t, saved+":"+name, nil))
			} else {
				got, err = stream(t, open(t, "-:"+name, &transport.Options{Stdin: bytes.NewReader(raw), TmpDir: t.TempDir()}))
			}
			if err != nil {
				t.Fatalf("%s %s: %v", mode, name, err)
			}
			if got.Image.Config.Digest != img.Config.Digest {
				t.Errorf("%s %s: config %s, want %s", mode, name, got.Image.Config.Digest, img.Config.Digest)
			}
			for i, l := range got.Image.Layers {
				if l.Digest != want[i] {
					t.Errorf("%s %s: layer %d is %s, want its diff ID %s", mode, name, i, l.Digest, want[i])
				}
			}
		}
	}
	if _, err := readImage(t, open(t, saved, nil)); err == nil {
		t.Error("reading a two-image archive without a name did not fail")
	}
}
