package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transports"
)

// TestPlatformSubsetOnDebianRegistry pushes a subset of a three-platform
// index to Debian's registry; the registry accepts the new index and
// skopeo reads it back with only the chosen platforms.
func TestPlatformSubsetOnDebianRegistry(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	reg := startRegistry(t, registryOptions{})
	src := filepath.Join(t.TempDir(), "three")
	writeIndex(t, "oci:"+src+":x", testimage.NewIndex(false,
		manifest.Platform{OS: "linux", Architecture: "amd64"},
		manifest.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
		manifest.Platform{OS: "linux", Architecture: "s390x"}))

	dst := "docker://" + reg.host + "/subset:1"
	ferry(t, 0, "copy", "--dest-tls-verify=false", "--multi-arch", "linux/amd64,linux/s390x", "oci:"+src+":x", dst)
	r := run(t, nil, skopeo, "inspect", "--raw", "--tls-verify=false", dst)
	if r.code != 0 {
		t.Fatalf("skopeo inspect: %s", r.stderr)
	}
	var ix manifest.Index
	if err := json.Unmarshal([]byte(r.stdout), &ix); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ix.Manifests {
		got = append(got, d.Platform.Architecture)
	}
	if len(got) != 2 || got[0] != "amd64" || got[1] != "s390x" {
		t.Errorf("the pushed index lists %v, want [amd64 s390x]", got)
	}
	// skopeo copies every instance the subset names.
	out := "dir:" + filepath.Join(t.TempDir(), "copy")
	if r := run(t, nil, skopeo, "--insecure-policy", "copy", "--all", "--src-tls-verify=false", dst, out); r.code != 0 {
		t.Fatalf("skopeo copy --all: %s", r.stderr)
	}
}

// writeIndex stores ix at name with ferry's own destination.
func writeIndex(t *testing.T, name string, ix *testimage.Index) {
	t.Helper()
	ref, err := transports.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := ref.NewDestination(t.Context(), &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := ix.Write(t.Context(), dst); err != nil {
		t.Fatal(err)
	}
}
