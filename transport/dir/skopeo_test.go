package dir_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/google/go-cmp/cmp"
)

// runSkopeo runs the real skopeo (with --insecure-policy: no policy.json is
// guaranteed to exist) and returns its standard output and error.
func runSkopeo(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	bin := testenv.NeedCommand(t, "skopeo")
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"--insecure-policy"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Logf("skopeo %v: %v\n%s", args, err, stderr.String())
		return nil, err
	}
	return stdout.Bytes(), nil
}

func skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := runSkopeo(t, args...)
	if err != nil {
		t.Fatalf("skopeo %v failed", args)
	}
	return out
}

// TestSkopeoInterop: skopeo reads what ferry writes, and writes, for the
// same image, the very same files; ferry reads those and replaces them.
func TestSkopeoInterop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  testImage
	}{
		{"oci image", testimage.New(testimage.Options{})},
		{"docker image", testimage.New(testimage.Options{Docker: true})},
		{"oci index", testimage.NewIndex(false, amd64, arm64)},
		{"docker list", testimage.NewIndex(true, amd64, arm64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			ferryDir, skopeoDir := filepath.Join(base, "ferry"), filepath.Join(base, "skopeo")
			write(t, ferryDir, tt.img)
			want := tt.img.Source()
			if got := skopeo(t, "inspect", "--raw", "dir:"+ferryDir); !bytes.Equal(got, want.Top) {
				t.Errorf("skopeo inspect --raw: got %q, want %q", got, want.Top)
			}
			skopeo(t, "copy", "--all", "dir:"+ferryDir, "dir:"+skopeoDir)
			if diff := cmp.Diff(snapshot(t, ferryDir), snapshot(t, skopeoDir)); diff != "" {
				t.Errorf("skopeo's directory differs from ferry's (-ferry +skopeo):\n%s", diff)
			}
			transporttest.AssertSame(t, want, open(t, skopeoDir))

			// ferry replaces the image skopeo wrote.
			other := testimage.New(testimage.Options{Seed: 5})
			write(t, skopeoDir, other)
			if diff := cmp.Diff(expectedFiles(other), files(t, skopeoDir)); diff != "" {
				t.Errorf("files after ferry's replacement (-want +got):\n%s", diff)
			}
			if got := skopeo(t, "inspect", "--raw", "dir:"+skopeoDir); !bytes.Equal(got, other.Manifest) {
				t.Errorf("skopeo inspect --raw after replacement: got %q", got)
			}
		})
	}
}

// TestSkopeoRefusesLikeFerry: both refuse to write into a non-empty
// directory that is not a dir: image.
func TestSkopeoRefusesLikeFerry(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	write(t, src, testimage.New(testimage.Options{}))
	dst := t.TempDir()
	writeFile(t, filepath.Join(dst, "thesis.tex"), "precious")
	if _, err := runSkopeo(t, "copy", "dir:"+src, "dir:"+dst); err == nil {
		t.Fatalf("skopeo wrote into an unrelated non-empty directory; ferry's rule no longer matches it")
	}
	if _, err := ref(dst).NewDestination(t.Context(), nil); err == nil {
		t.Errorf("ferry accepted an unrelated non-empty directory")
	}
	if diff := cmp.Diff([]string{"thesis.tex"}, files(t, dst)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
