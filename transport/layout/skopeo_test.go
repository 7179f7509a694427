package layout_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/dir"
)

// skopeo runs the real skopeo (with --insecure-policy: no policy.json is
// guaranteed to exist) and returns its standard output.
func skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testenv.NeedCommand(t, "skopeo")
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"--insecure-policy"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("skopeo %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// openDir opens a dir: image with ferry's dir transport.
func openDir(t *testing.T, path string) *dir.Source {
	t.Helper()
	src, err := dir.OpenSource(t.Context(), &dir.Reference{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestSkopeoReadsFerryLayout: what ferry writes, skopeo reads byte for byte,
// and skopeo's copy to dir: is what ferry's dir source reads back.
func TestSkopeoReadsFerryLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  testImage
		// alone: the image is the layout's only one and skopeo reads it
		// without a ref. skopeo before 1.10 (Debian's 1.9.3) looks refs
		// up among OCI-typed entries only, so it finds a Docker-typed
		// image only as the layout's single image.
		alone bool
	}{
		{"oci image", testimage.New(testimage.Options{}), false},
		{"docker image", testimage.New(testimage.Options{Docker: true}), true},
		{"oci index", testimage.NewIndex(false, amd64, arm64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			name := "oci:" + root + ":v1"
			if tt.alone {
				name = "oci:" + root
			} else {
				write(t, root+":other", testimage.New(testimage.Options{Seed: 99}))
			}
			write(t, root+":v1", tt.img)
			want := tt.img.Source()
			if got := skopeo(t, "inspect", "--raw", name); !bytes.Equal(got, want.Top) {
				t.Errorf("skopeo inspect --raw: got %q, want %q", got, want.Top)
			}
			out := filepath.Join(t.TempDir(), "out")
			skopeo(t, "copy", "--all", name, "dir:"+out)
			transporttest.AssertSame(t, want, openDir(t, out))
		})
	}
}

// TestFerryReadsSkopeoLayout: a layout skopeo writes (from a dir: image
// ferry wrote) reads back in ferry as the same image, and ferry adds to it
// without disturbing skopeo's entry.
func TestFerryReadsSkopeoLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  testImage
	}{
		{"oci image", testimage.New(testimage.Options{})},
		{"oci index", testimage.NewIndex(false, amd64, arm64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			in := filepath.Join(t.TempDir(), "in")
			dst, err := dir.OpenDestination(ctx, &dir.Reference{Path: in}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.img.Write(ctx, dst); err != nil {
				t.Fatal(err)
			}
			dst.Close()
			root := t.TempDir()
			skopeo(t, "copy", "--all", "dir:"+in, "oci:"+root+":from-skopeo")
			transporttest.AssertSame(t, tt.img.Source(), open(t, root+":from-skopeo"))

			other := testimage.New(testimage.Options{Seed: 42})
			write(t, root+":from-ferry", other)
			transporttest.AssertSame(t, tt.img.Source(), open(t, root+":from-skopeo"))
			transporttest.AssertSame(t, other.Source(), open(t, root+":from-ferry"))
			if got := skopeo(t, "inspect", "--raw", "oci:"+root+":from-skopeo"); !bytes.Equal(got, tt.img.Source().Top) {
				t.Errorf("skopeo inspect --raw after ferry's write: got %q", got)
			}
			if got := skopeo(t, "inspect", "--raw", "oci:"+root+":from-ferry"); !bytes.Equal(got, other.Manifest) {
				t.Errorf("skopeo inspect --raw of ferry's image: got %q", got)
			}
		})
	}
}
