package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// sampleIndex is the top manifest of the sample image shipped in testdata.
func sampleIndex(t *testing.T) ([]byte, digest.Digest) {
	t.Helper()
	var ix struct {
		Manifests []struct {
			Digest digest.Digest `json:"digest"`
		} `json:"manifests"`
	}
	b, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "sample", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ix); err != nil || len(ix.Manifests) != 1 {
		t.Fatalf("testdata/sample/index.json: %v", err)
	}
	d := ix.Manifests[0].Digest
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "sample", "blobs", "sha256", d.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	return raw, d
}

var sample = "oci:" + filepath.Join(repoRoot(), "testdata", "sample") + ":latest"

// TestReadOnlyCommands walks the README's read-only examples against
// Debian's registry, in each security setup a user meets.
func TestReadOnlyCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    registryOptions
	}{
		{"plain HTTP", registryOptions{}},
		{"TLS", registryOptions{tls: true}},
		{"TLS and htpasswd", registryOptions{tls: true, user: "alice", password: "s3cret-pass"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := startRegistry(t, tt.o)
			var flags, dstFlags []string
			if tt.o.tls {
				flags = append(flags, "--cert-dir", reg.certDir)
				dstFlags = append(dstFlags, "--dest-cert-dir", reg.certDir)
			} else {
				flags = append(flags, "--tls-verify=false")
				dstFlags = append(dstFlags, "--dest-tls-verify=false")
			}
			if tt.o.user != "" {
				flags = append(flags, "--creds", tt.o.user+":"+tt.o.password)
				dstFlags = append(dstFlags, "--dest-creds", tt.o.user+":"+tt.o.password)
			}
			img := "docker://" + reg.host + "/app"
			args := func(base []string, rest ...string) []string { return append(append([]string{}, base...), rest...) }

			ferry(t, 0, append([]string{"copy", "--all"}, append(dstFlags, sample, img+":1")...)...)
			ferry(t, 0, append([]string{"copy", "--all"}, append(dstFlags, sample, img+":2")...)...)

			rawIndex, indexDigest := sampleIndex(t)
			raw := ferry(t, 0, args([]string{"inspect", "--raw"}, append(flags, img+":1")...)...)
			if raw.stdout != string(rawIndex) {
				t.Errorf("inspect --raw printed %q, want the sample index bytes", raw.stdout)
			}

			out := ferry(t, 0, args([]string{"inspect"}, append(flags, img+":1")...)...)
			var got struct {
				Name, Architecture, Os string
				Digest                 digest.Digest
				RepoTags, Layers       []string
			}
			if err := json.Unmarshal([]byte(out.stdout), &got); err != nil {
				t.Fatalf("inspect output %q: %v", out.stdout, err)
			}
			if got.Digest != indexDigest || got.Name != reg.host+"/app" || got.Os != "linux" || len(got.Layers) == 0 {
				t.Errorf("inspect: %+v", got)
			}
			slices.Sort(got.RepoTags) // registries list tags in no promised order
			if strings.Join(got.RepoTags, ",") != "1,2" {
				t.Errorf("RepoTags %v, want [1 2]", got.RepoTags)
			}
			arch := ferry(t, 0, args([]string{"--override-arch", "arm64", "inspect", "--format", "{{.Architecture}}"}, append(flags, img+":1")...)...)
			if strings.TrimSpace(arch.stdout) != "arm64" {
				t.Errorf("--override-arch arm64 gave %q", arch.stdout)
			}

			tags := ferry(t, 0, args([]string{"list-tags"}, append(flags, img)...)...)
			var lt struct {
				Repository string
				Tags       []string
			}
			err := json.Unmarshal([]byte(tags.stdout), &lt)
			slices.Sort(lt.Tags)
			if err != nil || strings.Join(lt.Tags, ",") != "1,2" {
				t.Errorf("list-tags: %q (%v)", tags.stdout, err)
			}

			mf := filepath.Join(t.TempDir(), "manifest.json")
			os.WriteFile(mf, []byte(raw.stdout), 0o644)
			md := ferry(t, 0, "manifest-digest", mf)
			if strings.TrimSpace(md.stdout) != indexDigest.String() {
				t.Errorf("manifest-digest %q, want %s", md.stdout, indexDigest)
			}

			missing := ferry(t, 2, args([]string{"inspect"}, append(flags, img+":9")...)...)
			oneLine(t, missing)

			ferry(t, 0, args([]string{"delete"}, append(flags, img+":1")...)...)
			// Tag 2 named the same manifest: deleting by tag removes it too.
			gone := ferry(t, 2, args([]string{"inspect", "--raw"}, append(flags, img+":2")...)...)
			oneLine(t, gone)
		})
	}
}

// TestAuthFailures: a wrong password or missing credentials is one clear
// sentence and exit 1, and the password never appears in the output.
func TestAuthFailures(t *testing.T) {
	reg := startRegistry(t, registryOptions{tls: true, user: "alice", password: "right-pass"})
	img := "docker://" + reg.host + "/app:1"
	for _, tt := range []struct {
		name  string
		flags []string
	}{
		{"wrong password", []string{"--creds", "alice:wrong-pass-123"}},
		{"no credentials", []string{"--no-creds"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ferry(t, 1, append([]string{"inspect", "--cert-dir", reg.certDir}, append(tt.flags, img)...)...)
			oneLine(t, r)
			if strings.Contains(r.stderr, "wrong-pass-123") {
				t.Errorf("the password leaked into stderr: %q", r.stderr)
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		r := ferry(t, 1, "inspect", "--creds", "alice:right-pass", img)
		oneLine(t, r)
	})
}
