package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// podmanStore is a containers-storage store of its own (vfs driver, in a
// temporary directory) that ferry, podman and skopeo are all pointed at.
type podmanStore struct {
	root, runRoot string
}

// newPodmanStore needs root (a store's layers keep their owners) and
// Debian's podman.
func newPodmanStore(t *testing.T) *podmanStore {
	t.Helper()
	testenv.NeedCommand(t, "podman")
	if os.Geteuid() != 0 {
		t.Skip("containers-storage needs root (or podman unshare)")
	}
	// Short: podman refuses a run root of more than 50 characters.
	dir, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	s := &podmanStore{root: filepath.Join(dir, "root"), runRoot: filepath.Join(dir, "run")}
	t.Cleanup(func() {
		// Containers may hold mounts in the run root (podman run --rm
		// removes its own; this is for a run that failed half-way).
		exec.Command("podman", s.flags("rm", "-a", "-f")...).Run()
		os.RemoveAll(dir)
	})
	return s
}

// ref is the containers-storage: name of name in the store.
func (s *podmanStore) ref(name string) string {
	return "containers-storage:[vfs@" + s.root + "+" + s.runRoot + "]" + name
}

func (s *podmanStore) flags(args ...string) []string {
	return append([]string{"--root", s.root, "--runroot", s.runRoot, "--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs", "--events-backend", "none"}, args...)
}

// podman runs podman on the store and fails the test unless it succeeds.
func (s *podmanStore) podman(t *testing.T, args ...string) string {
	t.Helper()
	// podman reads its credentials from the DOCKER_CONFIG run gives, and
	// refuses one without a config.json.
	dockerConfig := t.TempDir()
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, []string{"DOCKER_CONFIG=" + dockerConfig}, "podman", s.flags(args...)...)
	if r.code != 0 {
		t.Fatalf("podman %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// inspect is what podman says of an image.
type podmanImage struct {
	ID     string `json:"Id"`
	Digest digest.Digest
	Names  []string `json:"RepoTags"`
	RootFS struct {
		Layers []digest.Digest
	}
}

func (s *podmanStore) inspect(t *testing.T, name string) podmanImage {
	t.Helper()
	var out []podmanImage
	if err := json.Unmarshal([]byte(s.podman(t, "image", "inspect", name)), &out); err != nil || len(out) != 1 {
		t.Fatalf("podman image inspect %s: %v (%d images)", name, err, len(out))
	}
	return out[0]
}

// images lists every image record, named or not, from the library's
// own record.
func (s *podmanStore) images(t *testing.T) []string {
	t.Helper()
	return s.records(t, "vfs-images/images.json")
}

// storeLayers lists the store's layer IDs from the library's own record.
func (s *podmanStore) storeLayers(t *testing.T) []string {
	t.Helper()
	return s.records(t, "vfs-layers/layers.json")
}

// records lists the IDs in one of the store's JSON records.
func (s *podmanStore) records(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.root, name))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ls []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &ls); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

// helloImage is a runnable image: one layer holding a static program
// that prints greeting, built for the test, and a config that runs it.
func helloImage(t *testing.T, greeting string) *testimage.Image {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(" + strconv.Quote(greeting+"\n") + ") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "hello", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the hello program: %v\n%s", err, out)
	}
	prog, err := os.ReadFile(filepath.Join(dir, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o755, Size: int64(len(prog)), ModTime: epoch, Typeflag: tar.TypeReg})
	tw.Write(prog)
	tw.Close()
	plain := buf.Bytes()
	gz := testimage.Gzip(plain)
	img := &testimage.Image{Platform: manifest.Platform{OS: "linux", Architecture: "amd64"}, Blobs: map[digest.Digest][]byte{}}
	layer := ocispec.Descriptor{MediaType: manifest.MediaTypeOCILayerGz, Digest: digest.FromBytes(gz), Size: int64(len(gz))}
	img.Blobs[layer.Digest] = gz
	img.Layers = []ocispec.Descriptor{layer}
	cfg := ocispec.Image{
		Created:  &epoch,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispec.ImageConfig{Cmd: []string{"/hello"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(plain)}},
	}
	cb, _ := json.Marshal(cfg)
	img.Config = ocispec.Descriptor{MediaType: manifest.MediaTypeOCIConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	img.Blobs[img.Config.Digest] = cb
	m := ocispec.Manifest{MediaType: manifest.MediaTypeOCIManifest, Config: img.Config, Layers: img.Layers}
	m.SchemaVersion = 2
	img.Manifest, _ = json.Marshal(m)
	img.MediaType = manifest.MediaTypeOCIManifest
	img.Digest = digest.FromBytes(img.Manifest)
	return img
}

// runLimits are the rlimits podman run is told to set: podman 4.3 asks
// for RLIMIT_NOFILE 1048576 as root, which a machine whose hard limit is
// lower (a container or VM sandbox) refuses, so the test asks for the
// limits the machine gives it.
func runLimits(t *testing.T) []string {
	t.Helper()
	var nofile, nproc syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile); err != nil {
		t.Fatal(err)
	}
	const rlimitNproc = 6
	if err := syscall.Getrlimit(rlimitNproc, &nproc); err != nil {
		t.Fatal(err)
	}
	n := strconv.FormatUint(nofile.Max, 10)
	p := strconv.FormatUint(min(nproc.Max, 1024), 10)
	return []string{"--ulimit", "nofile=" + n + ":" + n, "--ulimit", "nproc=" + p + ":" + p}
}

// ociArchiveManifest is the manifest an oci-archive holds, parsed.
func ociArchiveManifest(t *testing.T, path string) ocispec.Manifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Name == "index.json" || strings.HasPrefix(h.Name, "blobs/") && h.Size < 1<<20 {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
	var ix ocispec.Index
	if err := json.Unmarshal(files["index.json"], &ix); err != nil || len(ix.Manifests) != 1 {
		t.Fatalf("%s: index.json: %v", path, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(files["blobs/sha256/"+ix.Manifests[0].Digest.Encoded()], &m); err != nil {
		t.Fatalf("%s: manifest: %v", path, err)
	}
	return m
}
