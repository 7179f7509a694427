package docker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
)

// skopeo runs the real skopeo with an isolated HOME (no stray
// credentials) and --insecure-policy, and returns its standard output.
func skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testenv.NeedCommand(t, "skopeo")
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"--insecure-policy"}, args...)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_CONFIG_HOME="+home, "REGISTRY_AUTH_FILE=", "DOCKER_CONFIG="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("skopeo %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestSkopeoInterop: skopeo reads what ferry pushed, byte for byte, and
// ferry reads what skopeo pushed, over plain HTTP, TLS with a cert dir and
// Basic auth, and token auth.
func TestSkopeoInterop(t *testing.T) {
	testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	setups := []struct {
		name string
		reg  testregistry.Options
	}{
		{"plain", testregistry.Options{}},
		{"tls-basic", testregistry.Options{TLS: true, Basic: bob}},
		{"tls-token", testregistry.Options{TLS: true, Token: true, Basic: bob}},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, s.reg)
			o := opts(reg)
			// skopeo flags for the same access, with a prefix ("src-", "dest-", "").
			flags := func(prefix string) []string {
				var f []string
				if reg.CertDir() != "" {
					f = append(f, "--"+prefix+"cert-dir", reg.CertDir())
				} else {
					f = append(f, "--"+prefix+"tls-verify=false")
				}
				if s.reg.Basic != nil {
					f = append(f, "--"+prefix+"creds", bob.Username+":"+bob.Password)
				}
				return f
			}
			if s.reg.Basic != nil {
				o.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
			}
			ctx := context.Background()

			// ferry pushes an index; skopeo reads it raw and copies it.
			ix := testimage.NewIndex(false, linuxAMD64, linuxARM64)
			_, dst := open(t, ref(t, reg, "ferry/app:1"), o)
			if err := ix.Write(ctx, dst); err != nil {
				t.Fatalf("ferry push: %v", err)
			}
			raw := skopeo(t, append([]string{"inspect", "--raw"}, append(flags(""), "docker://"+reg.Ref("ferry/app:1"))...)...)
			if !bytes.Equal(raw, ix.Manifest) {
				t.Fatalf("skopeo inspect --raw differs from the index ferry pushed:\n%s", raw)
			}
			args := append([]string{"copy", "--all", "--preserve-digests"}, flags("src-")...)
			args = append(args, flags("dest-")...)
			skopeo(t, append(args, "docker://"+reg.Ref("ferry/app:1"), "docker://"+reg.Ref("skopeo/app:2"))...)

			// ferry reads what skopeo pushed.
			src, _ := open(t, ref(t, reg, "skopeo/app:2"), o)
			b, _, err := src.Manifest(ctx, nil)
			if err != nil || !bytes.Equal(b, ix.Manifest) {
				t.Fatalf("ferry reading skopeo's copy: %v", err)
			}
			for _, img := range ix.Images {
				checkImage(t, src, img, true)
			}

			// list-tags agrees.
			var listed struct{ Tags []string }
			if err := json.Unmarshal(skopeo(t, append(append([]string{"list-tags"}, flags("")...), "docker://"+reg.Ref("ferry/app"))...), &listed); err != nil {
				t.Fatal(err)
			}
			n, _ := reference.ParseRepository(reg.Host() + "/ferry/app")
			tags, err := repoRef(t, o, n).ListTags(ctx, nil)
			if err != nil || !slices.Equal(tags, listed.Tags) {
				t.Fatalf("ListTags: got %v (%v), skopeo says %v", tags, err, listed.Tags)
			}

			// A single image to dir: through skopeo matches byte for byte.
			img := testimage.New(testimage.Options{Docker: true, Seed: 61})
			_, dst = open(t, ref(t, reg, "ferry/single:1"), o)
			if err := img.Write(ctx, dst); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			skopeo(t, append(append([]string{"copy"}, flags("src-")...), "docker://"+reg.Ref("ferry/single:1"), "dir:"+out)...)
			got, err := os.ReadFile(filepath.Join(out, "manifest.json"))
			if err != nil || !bytes.Equal(got, img.Manifest) {
				t.Fatalf("skopeo's dir: manifest differs (%v)", err)
			}
			for d, want := range img.Blobs {
				got, err := os.ReadFile(filepath.Join(out, d.Encoded()))
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("skopeo's dir: blob %s differs (%v)", d, err)
				}
			}
		})
	}
}
