package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/opencontainers/go-digest"
)

// manifestFiles writes the manifest fixtures and returns each file with
// the digest a registry gives it.
func manifestFiles(t *testing.T) map[string]digest.Digest {
	t.Helper()
	dir := t.TempDir()
	img := testimage.New(testimage.Options{Docker: true})
	ix := testimage.NewIndex(false, amd64, arm64)
	s1 := testimage.NewSchema1("library/app", "v1", 2)
	files := map[string]digest.Digest{}
	for name, c := range map[string]struct {
		b []byte
		d digest.Digest
	}{
		"schema2.json":        {img.Manifest, img.Digest},
		"index.json":          {ix.Manifest, ix.Digest},
		"schema1-signed.json": {s1.Manifest, s1.Digest},
		// Unsigned, the payload is its own digest.
		"schema1-payload.json": {s1.Payload, s1.Digest},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[p] = c.d
	}
	return files
}

func TestManifestDigest(t *testing.T) {
	t.Parallel()
	for path, want := range manifestFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, "manifest-digest", path)
			if code != 0 || stdout != want.String()+"\n" {
				t.Errorf("manifest-digest = %q (exit %d, %s), want %s", stdout, code, stderr, want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, stderr, code := runCLI(t, "manifest-digest", filepath.Join(t.TempDir(), "nope.json"))
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantOneLine(t, stderr, "nope.json")
	})
}

// TestManifestDigestMatchesSkopeo checks the fixtures with real skopeo,
// which computes schema-1 digests with Docker's libtrust.
func TestManifestDigestMatchesSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	for path, want := range manifestFiles(t) {
		out, err := exec.Command(skopeo, "manifest-digest", path).Output()
		if err != nil {
			t.Fatalf("skopeo manifest-digest %s: %v", path, err)
		}
		if got := strings.TrimSpace(string(out)); got != want.String() {
			t.Errorf("%s: skopeo says %s, ferry says %s", filepath.Base(path), got, want)
		}
	}
}
