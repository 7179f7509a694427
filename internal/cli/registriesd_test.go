package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testregistry"
)

// TestRegistrySignatures: a signed dir: image copied to a registry keeps its
// signatures in the lookaside --registries.d names, and copied back to a
// dir: has them again as signature-N, byte for byte. With nowhere to write
// them (an http lookaside without lookaside-staging, a registry without the
// signatures API) the copy refuses and writes nothing, unless
// --remove-signatures. A malformed registries.d fails only the commands
// that reach a registry.
func TestRegistrySignatures(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	reg := testregistry.New(t, testregistry.Options{})
	src := filepath.Join(t.TempDir(), "signed")
	if _, stderr, code := runCLI(t, "copy", "-q", f.single, "dir:"+src); code != 0 {
		t.Fatalf("copy to dir: exit %d: %s", code, stderr)
	}
	sigs := map[string]string{"signature-1": "\xa3first", "signature-2": "\xa3second, longer"}
	for name, b := range sigs {
		if err := os.WriteFile(filepath.Join(src, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	regsD := func(yaml string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "sigs.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	store := t.TempDir()
	fileD := regsD("docker:\n  " + reg.Host() + ":\n    lookaside: file://" + store + "\n")
	dst := "docker://" + reg.Ref("team/app:1")
	if _, stderr, code := runCLI(t, "--registries.d", fileD, "copy", "-q", "--dest-tls-verify=false", "dir:"+src, dst); code != 0 {
		t.Fatalf("copy to the registry: exit %d: %s", code, stderr)
	}
	matches, _ := filepath.Glob(filepath.Join(store, "team", "app@sha256=*", "signature-*"))
	if len(matches) != 2 {
		t.Errorf("lookaside holds %v, want two signatures", matches)
	}
	back := filepath.Join(t.TempDir(), "back")
	if _, stderr, code := runCLI(t, "--registries.d", fileD, "copy", "-q", "--src-tls-verify=false", dst, "dir:"+back); code != 0 {
		t.Fatalf("copy back: exit %d: %s", code, stderr)
	}
	for name, want := range sigs {
		if b, err := os.ReadFile(filepath.Join(back, name)); err != nil || string(b) != want {
			t.Errorf("round trip %s: %q, %v; want %q", name, b, err, want)
		}
	}

	// Nowhere to write.
	httpD := regsD("default-docker:\n  lookaside: https://sigs.example/store\n")
	before := len(reg.Requests())
	dst2 := "docker://" + reg.Ref("team/app:2")
	_, stderr, code := runCLI(t, "--registries.d", httpD, "copy", "-q", "--dest-tls-verify=false", "dir:"+src, dst2)
	if code != 1 {
		t.Fatalf("copy with nowhere to write signatures: exit %d: %s", code, stderr)
	}
	wantOneLine(t, stderr, "Can not copy signatures to "+dst2)
	for _, r := range reg.Requests()[before:] {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("the refused copy sent %s %s", r.Method, r.Path)
		}
	}
	if _, _, found := reg.Manifest(t, "team/app", "2"); found {
		t.Error("the refused copy tagged the image")
	}
	if _, stderr, code := runCLI(t, "--registries.d", httpD, "copy", "-q", "--remove-signatures", "--dest-tls-verify=false", "dir:"+src, dst2); code != 0 {
		t.Fatalf("with --remove-signatures: exit %d: %s", code, stderr)
	}

	// A malformed registries.d.
	badD := regsD("docker: [unclosed")
	_, stderr, code = runCLI(t, "--registries.d", badD, "copy", "-q", "--src-tls-verify=false", dst, "dir:"+filepath.Join(t.TempDir(), "x"))
	if code != 1 {
		t.Fatalf("malformed registries.d: exit %d: %s", code, stderr)
	}
	wantOneLine(t, stderr, "sigs.yaml")
	_, stderr, code = runCLI(t, "--registries.d", badD, "copy", "-q", "dir:"+src, "dir:"+filepath.Join(t.TempDir(), "y"))
	if code != 0 || strings.Contains(stderr, "registries.d") {
		t.Errorf("a copy between directories with a malformed registries.d: exit %d: %s", code, stderr)
	}
}

// TestRegistryInstanceSignatures: an index's per-instance signatures
// (HEX.signature-N in a dir:) go to the lookaside under each instance's
// digest with --all, and come back to a dir: under the same names.
func TestRegistryInstanceSignatures(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	reg := testregistry.New(t, testregistry.Options{})
	src := filepath.Join(t.TempDir(), "signed")
	if _, stderr, code := runCLI(t, "copy", "-q", "--all", f.multi, "dir:"+src); code != 0 {
		t.Fatalf("copy to dir: exit %d: %s", code, stderr)
	}
	sigs := map[string]string{}
	for _, img := range f.ix.Images {
		sigs[img.Digest.Encoded()+".signature-1"] = "\xa3signature of " + img.Platform.Architecture + img.Platform.Variant
	}
	for name, b := range sigs {
		if err := os.WriteFile(filepath.Join(src, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	regsD := t.TempDir()
	store := t.TempDir()
	if err := os.WriteFile(filepath.Join(regsD, "sigs.yaml"), []byte("default-docker:\n  lookaside: file://"+store+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := "docker://" + reg.Ref("multi:1")
	if _, stderr, code := runCLI(t, "--registries.d", regsD, "copy", "-q", "--all", "--dest-tls-verify=false", "dir:"+src, dst); code != 0 {
		t.Fatalf("copy to the registry: exit %d: %s", code, stderr)
	}
	for _, img := range f.ix.Images {
		p := filepath.Join(store, "multi@sha256="+img.Digest.Encoded(), "signature-1")
		if b, err := os.ReadFile(p); err != nil || string(b) != sigs[img.Digest.Encoded()+".signature-1"] {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
	back := filepath.Join(t.TempDir(), "back")
	if _, stderr, code := runCLI(t, "--registries.d", regsD, "copy", "-q", "--all", "--src-tls-verify=false", dst, "dir:"+back); code != 0 {
		t.Fatalf("copy back: exit %d: %s", code, stderr)
	}
	for name, want := range sigs {
		if b, err := os.ReadFile(filepath.Join(back, name)); err != nil || string(b) != want {
			t.Errorf("round trip %s: %q, %v; want %q", name, b, err, want)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(back, "signature-*")); len(matches) != 0 {
		t.Errorf("the index gained signatures: %v", matches)
	}
}
