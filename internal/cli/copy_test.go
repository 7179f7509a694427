package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/manifest"
)

func TestCopyOCI(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	for _, tc := range []struct {
		name      string
		args      []string // before SOURCE DESTINATION
		src       string
		instances int    // instances of the copied index; 0: a single image
		digest    string // want in --digestfile; "" to skip
	}{
		{"all keeps the index", []string{"--all"}, f.multi, 3, f.ix.Digest.String()},
		{"platform list", []string{"--multi-arch", "linux/arm64,linux/arm/v7"}, f.multi, 2, ""},
		{"system picks one image", []string{"--override-arch", "arm64"}, f.multi, 0, f.ix.Images[1].Digest.String()},
		{"single Docker image, digests preserved", []string{"--preserve-digests"}, f.single, 0, f.img.Digest.String()},
		{"single Docker image converted to OCI, as skopeo does", nil, f.single, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			dst := "oci:" + filepath.Join(out, "layout") + ":copy"
			digestFile := filepath.Join(out, "digest")
			var args []string
			var global []string
			for i := 0; i < len(tc.args); i++ {
				if strings.HasPrefix(tc.args[i], "--override-") {
					global = append(global, tc.args[i], tc.args[i+1])
					i++
					continue
				}
				args = append(args, tc.args[i])
			}
			argv := append(append(global, "copy", "--digestfile", digestFile), append(args, tc.src, dst)...)
			stdout, stderr, code := runCLI(t, argv...)
			if code != 0 {
				t.Fatalf("ferry %v: exit %d: %s", argv, code, stderr)
			}
			if stdout != "" {
				t.Errorf("copy wrote %q to stdout; progress belongs on stderr", stdout)
			}
			if !strings.Contains(stderr, "blob") {
				t.Errorf("stderr has no progress lines: %q", stderr)
			}
			raw, _, code := runCLI(t, "inspect", "--raw", dst)
			if code != 0 {
				t.Fatalf("inspect --raw %s: exit %d", dst, code)
			}
			mt := manifest.Detect([]byte(raw))
			switch {
			case tc.instances > 0:
				ix, err := manifest.ParseIndex([]byte(raw))
				if err != nil || len(ix.Manifests) != tc.instances {
					t.Errorf("copied index has %d instances (%v), want %d", len(ix.Manifests), err, tc.instances)
				}
			case !manifest.IsImage(mt):
				t.Errorf("copied manifest is %s, want a single image", mt)
			}
			d, err := os.ReadFile(digestFile)
			if err != nil {
				t.Fatal(err)
			}
			md, _, _ := runCLI(t, "manifest-digest", writeFile(t, raw))
			if string(d)+"\n" != md {
				t.Errorf("--digestfile holds %q, the copied manifest's digest is %q", d, md)
			}
			if tc.digest != "" && string(d) != tc.digest {
				t.Errorf("--digestfile holds %q, want %s", d, tc.digest)
			}
		})
	}
}

func TestCopyQuietAndErrors(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	dst := func() string { return "oci:" + filepath.Join(t.TempDir(), "l") + ":x" }
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"quiet", []string{"copy", "-q", f.single, dst()}, 0, ""},
		{"progress none", []string{"copy", "--progress", "none", f.single, dst()}, 0, ""},
		{"unknown source image", []string{"copy", "oci:" + f.dir + ":nope", dst()}, 2, `"nope"`},
		{"signing", []string{"copy", "--sign-by", "0123ABCD", f.single, dst()}, 1, "signing needs a destination that stores signatures"},
		{"bad progress mode", []string{"copy", "--progress", "fancy", f.single, dst()}, 1, "--progress"},
		{"bad destination name", []string{"copy", f.single, "oci:"}, 1, "a path is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != tc.code || stdout != "" {
				t.Fatalf("ferry %v: exit %d, stdout %q; want exit %d (%s)", tc.args, code, stdout, tc.code, stderr)
			}
			if tc.code == 0 {
				if stderr != "" {
					t.Errorf("stderr = %q, want nothing", stderr)
				}
				return
			}
			wantOneLine(t, stderr, tc.want)
		})
	}
}

func writeFile(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
