package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"go.podman.io/storage/pkg/lockfile"
)

// TestStorageRoundTrip: ferry copies an image from a registry into a
// store; podman lists, inspects and runs it; skopeo's copy of the same
// image into another store names the same image and layers; podman
// pulls it into a third store, and ferry and skopeo read both stores back
// to oci-archives with the same manifest digest.
func TestStorageRoundTrip(t *testing.T) {
	fs := newPodmanStore(t)
	skopeo := testenv.NeedCommand(t, "skopeo")
	img := helloImage(t, "hello from ferry")
	reg := testregistry.New(t, testregistry.Options{})
	reg.Push(t, "hello", "1", img)
	src := "docker://" + reg.Ref("hello:1")

	ferry(t, 0, "copy", "-q", "--src-tls-verify=false", src, fs.ref("example.com/hello:1"))
	got := fs.inspect(t, "example.com/hello:1")
	if want := img.Config.Digest.Encoded(); got.ID != want {
		t.Errorf("podman: image ID %s, want the config's digest %s", got.ID, want)
	}
	if got.Digest != img.Digest {
		t.Errorf("podman: digest %s, want the manifest's %s", got.Digest, img.Digest)
	}
	out := fs.podman(t, append(append([]string{"run", "--rm", "--net=none"}, runLimits(t)...), "example.com/hello:1")...)
	if strings.TrimSpace(out) != "hello from ferry" {
		t.Errorf("podman run printed %q", out)
	}

	// skopeo, into a store of its own: the same image ID, layer IDs and
	// manifest digest.
	ss := newPodmanStore(t)
	if r := run(t, nil, skopeo, "copy", "-q", "--src-tls-verify=false", src, ss.ref("example.com/hello:1")); r.code != 0 {
		t.Fatalf("skopeo copy: %s", r.stderr)
	}
	if sk := ss.inspect(t, "example.com/hello:1"); sk.ID != got.ID || sk.Digest != got.Digest || !slices.Equal(sk.RootFS.Layers, got.RootFS.Layers) {
		t.Errorf("skopeo stored %+v, ferry %+v", sk, got)
	}
	if fl, sl := fs.storeLayers(t), ss.storeLayers(t); !slices.Equal(fl, sl) {
		t.Errorf("layer IDs: ferry %v, skopeo %v", fl, sl)
	}

	// podman writes; ferry and skopeo read. The store keeps layers
	// unpacked: both serve them as their diff IDs, and skopeo gzips them
	// for an OCI destination whatever it is told, so the config and the
	// layers' content agree, not the compressed bytes.
	ps := newPodmanStore(t)
	ps.podman(t, "pull", "-q", "--tls-verify=false", reg.Ref("hello:1"))
	dir := t.TempDir()
	ferryOut, skopeoOut := filepath.Join(dir, "ferry.tar"), filepath.Join(dir, "skopeo.tar")
	ferry(t, 0, "copy", "-q", "--dest-decompress", ps.ref(reg.Ref("hello:1")), "oci-archive:"+ferryOut)
	if r := run(t, nil, skopeo, "copy", "-q", ps.ref(reg.Ref("hello:1")), "oci-archive:"+skopeoOut); r.code != 0 {
		t.Fatalf("skopeo copy: %s", r.stderr)
	}
	fm, sm := ociArchiveManifest(t, ferryOut), ociArchiveManifest(t, skopeoOut)
	if fm.Config.Digest != sm.Config.Digest || fm.Config.Digest != img.Config.Digest {
		t.Errorf("config: ferry %s, skopeo %s, want %s", fm.Config.Digest, sm.Config.Digest, img.Config.Digest)
	}
	pulled := ps.inspect(t, reg.Ref("hello:1"))
	if len(fm.Layers) != len(pulled.RootFS.Layers) || fm.Layers[0].Digest != pulled.RootFS.Layers[0] {
		t.Errorf("ferry read layers %v, podman holds %v", fm.Layers, pulled.RootFS.Layers)
	}
	ferryOwn := filepath.Join(dir, "own.tar")
	ferry(t, 0, "copy", "-q", "--dest-decompress", fs.ref("example.com/hello:1"), "oci-archive:"+ferryOwn)
	if om := ociArchiveManifest(t, ferryOwn); len(om.Layers) != 1 || om.Layers[0].Digest != fm.Layers[0].Digest || om.Config.Digest != fm.Config.Digest {
		t.Errorf("ferry's image reads back as %+v, podman's as %+v", om, fm)
	}

	// inspect and delete.
	if r := ferry(t, 0, "inspect", fs.ref("example.com/hello:1")); !strings.Contains(r.stdout, `"Name": "example.com/hello"`) {
		t.Errorf("ferry inspect: %s", r.stdout)
	}
	ferry(t, 0, "delete", fs.ref("example.com/hello:1"))
	if ids := fs.images(t); len(ids) != 0 {
		t.Errorf("images after delete: %v", ids)
	}
	if ls := fs.storeLayers(t); len(ls) != 0 {
		t.Errorf("layers after delete: %v", ls)
	}
}

// TestStorageBadInput: one sentence for an image the store lacks and for
// a driver ferry cannot use.
func TestStorageBadInput(t *testing.T) {
	s := newPodmanStore(t)
	r := ferry(t, 2, "inspect", s.ref("example.com/nothing:1"))
	oneLine(t, r)
	if !strings.Contains(r.stderr, "no such image") {
		t.Errorf("stderr %q does not say the image is missing", r.stderr)
	}
	r = ferry(t, 1, "inspect", "containers-storage:[nosuchdriver@"+s.root+"+"+s.runRoot+"]example.com/x:1")
	oneLine(t, r)
	if !strings.Contains(r.stderr, "not supported") {
		t.Errorf("stderr %q does not say the driver is not supported", r.stderr)
	}
}

// TestStorageKilledCopy: a copy killed (SIGKILL) while the last layer is
// still arriving leaves no image and no layer, and the store takes the
// next copy.
func TestStorageKilledCopy(t *testing.T) {
	s := newPodmanStore(t)
	img := testimage.New(testimage.Options{Seed: 41})
	reg, stall, stalled := stallingRegistry(t, img)
	stall.Store(true)
	dst := s.ref("example.com/app:1")
	killDuringCopy(t, stalled, nil, "docker://"+reg.Ref("app:1"), dst)
	if ids := s.images(t); len(ids) != 0 {
		t.Errorf("images after a killed copy: %v", ids)
	}
	if ls := s.storeLayers(t); len(ls) != 0 {
		t.Errorf("layers after a killed copy: %v", ls)
	}
	stall.Store(false)
	ferry(t, 0, "copy", "-q", "--src-tls-verify=false", "docker://"+reg.Ref("app:1"), dst)
	if got := s.inspect(t, "example.com/app:1"); got.Digest != img.Digest {
		t.Errorf("after the killed copy, a new one stored %s, want %s", got.Digest, img.Digest)
	}
}

// TestStorageConcurrentWriters: two ferry processes write one store at
// once, the same layers under two names and another image; the store
// ends with both images whole, the shared layers once.
func TestStorageConcurrentWriters(t *testing.T) {
	s := newPodmanStore(t)
	a := testimage.New(testimage.Options{Seed: 51})
	b := testimage.New(testimage.Options{Seed: 52})
	reg := testregistry.New(t, testregistry.Options{})
	reg.Push(t, "a", "1", a)
	reg.Push(t, "b", "1", b)
	copies := [][2]string{
		{"a:1", "example.com/a:1"}, {"a:1", "example.com/a:2"}, {"b:1", "example.com/b:1"},
	}
	var cmds []*exec.Cmd
	for _, c := range copies {
		cmd := exec.Command(ferryBin, "copy", "-q", "--src-tls-verify=false", "docker://"+reg.Ref(c[0]), s.ref(c[1]))
		cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("copy %v: %v", copies[i], err)
		}
	}
	if s.inspect(t, "example.com/a:1").ID != s.inspect(t, "example.com/a:2").ID {
		t.Error("the same image copied under two names made two images")
	}
	if got := s.inspect(t, "example.com/b:1"); got.Digest != b.Digest {
		t.Errorf("b: digest %s, want %s", got.Digest, b.Digest)
	}
	if ids := s.images(t); len(ids) != 2 {
		t.Errorf("images: %v, want 2", ids)
	}
	if ls := s.storeLayers(t); len(ls) != 4 {
		t.Errorf("layers: %d, want 4 (2 per image)", len(ls))
	}
}

// TestStorageLockedStore: while another process holds the store's locks,
// a copy waits and says so on stderr; once they are released it
// finishes.
func TestStorageLockedStore(t *testing.T) {
	s := newPodmanStore(t)
	sample := "oci:" + filepath.Join(repoRoot(), "testdata", "sample") + ":latest"
	ferry(t, 0, "copy", "-q", sample, s.ref("example.com/first:1"))
	var locks []*lockfile.LockFile
	for _, f := range []string{"vfs-layers/layers.lock", "vfs-images/images.lock"} {
		l, err := lockfile.GetLockFile(filepath.Join(s.root, f))
		if err != nil {
			t.Fatal(err)
		}
		l.Lock()
		locks = append(locks, l)
	}
	unlock := func() {
		for _, l := range locks {
			l.Unlock()
		}
		locks = nil
	}
	defer func() { unlock() }()
	cmd := exec.Command(ferryBin, "copy", "-q", sample, s.ref("example.com/second:1"))
	cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	said := false
	for !said && sc.Scan() {
		said = strings.Contains(sc.Text(), "waiting for the containers-storage lock")
	}
	if !said {
		cmd.Wait()
		t.Fatal("ferry ended without saying it waits for the lock")
	}
	unlock()
	io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("copy after the lock was released: %v", err)
	}
	s.inspect(t, "example.com/second:1")
}

// TestStorageNotRoot: a user other than root is told in one sentence to
// run ferry in podman's user namespace; the store is not touched.
func TestStorageNotRoot(t *testing.T) {
	s := newPodmanStore(t)
	// A copy of the binary the user may run (the package's is private).
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferry")
	b, err := os.ReadFile(ferryBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "inspect", s.ref("example.com/x:1"))
	cmd.Env = append(cmd.Environ(), "HOME=/nonexistent")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("ferry as nobody: %v, want exit 1", err)
	}
	oneLine(t, result{stderr: stderr.String(), code: 1})
	if !strings.Contains(stderr.String(), "podman unshare ferry") {
		t.Errorf("stderr %q does not say what to run", stderr.String())
	}
	if _, err := os.Stat(s.root); !os.IsNotExist(err) {
		t.Errorf("the store was created: %v", err)
	}
}

// TestStorageSignatures: ferry signs an image into the store; skopeo
// reads the signature back from the store, the same bytes ferry reads.
// The image's layers are uncompressed, as a store's own images are, so
// its manifest is served as stored and the signature still applies.
func TestStorageSignatures(t *testing.T) {
	s := newPodmanStore(t)
	skopeo := testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ferry(t, 0, "generate-sigstore-key", "--output-prefix", filepath.Join(dir, "k"), "--passphrase-file", pass)
	plain := "oci:" + filepath.Join(dir, "plain") + ":1"
	ferry(t, 0, "copy", "-q", "--dest-decompress", "oci:"+filepath.Join(repoRoot(), "testdata", "sample")+":latest", plain)
	dst := s.ref("example.com/signed:1")
	ferry(t, 0, "copy", "-q", "--sign-by-sigstore-private-key", filepath.Join(dir, "k.private"), "--sign-passphrase-file", pass, plain, dst)
	if r := run(t, nil, skopeo, "copy", "-q", dst, "dir:"+filepath.Join(dir, "skopeo")); r.code != 0 {
		t.Fatalf("skopeo copy: %s", r.stderr)
	}
	ferry(t, 0, "copy", "-q", dst, "dir:"+filepath.Join(dir, "ferry"))
	sk, err := os.ReadFile(filepath.Join(dir, "skopeo", "signature-1"))
	if err != nil {
		t.Fatalf("skopeo read no signature from the store: %v", err)
	}
	fe, err := os.ReadFile(filepath.Join(dir, "ferry", "signature-1"))
	if err != nil || !bytes.Equal(sk, fe) {
		t.Errorf("ferry read %d bytes (%v), skopeo %d", len(fe), err, len(sk))
	}
}
