package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

// TestCopyRoundTripWithSkopeo copies the sample through every place ferry
// writes, and checks at each step that real skopeo sees the same digests.
func TestCopyRoundTripWithSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	reg := startRegistry(t, registryOptions{})
	dir := t.TempDir()
	img := "docker://" + reg.host + "/roundtrip"
	_, indexDigest := sampleIndex(t)

	// oci -> registry (all platforms) -> oci -> registry -> dir
	ferry(t, 0, "copy", "--all", "--dest-tls-verify=false", sample, img+":1")
	ferry(t, 0, "copy", "--all", "--src-tls-verify=false", img+":1", "oci:"+filepath.Join(dir, "layout")+":v1")
	ferry(t, 0, "copy", "--all", "--dest-tls-verify=false", "oci:"+filepath.Join(dir, "layout")+":v1", img+":2")
	ferry(t, 0, "copy", "--all", "--src-tls-verify=false", img+":2", "dir:"+filepath.Join(dir, "dir"))
	digestFile := filepath.Join(dir, "digest")
	ferry(t, 0, "copy", "--all", "--digestfile", digestFile, "dir:"+filepath.Join(dir, "dir"), "oci:"+filepath.Join(dir, "layout")+":v2")
	if b, _ := os.ReadFile(digestFile); string(b) != indexDigest.String() {
		t.Errorf("--digestfile holds %q, want %s", b, indexDigest)
	}

	for _, name := range []string{
		"docker://" + reg.host + "/roundtrip:1",
		"docker://" + reg.host + "/roundtrip:2",
		"oci:" + filepath.Join(dir, "layout") + ":v1",
		"oci:" + filepath.Join(dir, "layout") + ":v2",
		"dir:" + filepath.Join(dir, "dir"),
	} {
		r := run(t, nil, skopeo, "--insecure-policy", "inspect", "--raw", "--tls-verify=false", name)
		if r.code != 0 {
			t.Errorf("skopeo inspect %s: %s", name, r.stderr)
			continue
		}
		d := ferry(t, 0, "manifest-digest", writeTemp(t, r.stdout))
		if strings.TrimSpace(d.stdout) != indexDigest.String() {
			t.Errorf("%s: skopeo sees %s, want %s", name, d.stdout, indexDigest)
		}
	}

	// skopeo writes, ferry reads: skopeo's copy of one platform into oci and
	// dir is inspected by ferry with the digests skopeo reports.
	for _, dst := range []string{"oci:" + filepath.Join(dir, "skopeo-oci") + ":x", "dir:" + filepath.Join(dir, "skopeo-dir")} {
		r := run(t, nil, skopeo, "--insecure-policy", "copy", "--src-tls-verify=false", img+":1", dst)
		if r.code != 0 {
			t.Fatalf("skopeo copy to %s: %s", dst, r.stderr)
		}
		want := run(t, nil, skopeo, "inspect", dst)
		got := ferry(t, 0, "inspect", dst)
		var a, b struct{ Digest, Architecture string }
		json.Unmarshal([]byte(want.stdout), &a)
		json.Unmarshal([]byte(got.stdout), &b)
		if a.Digest == "" || a != b {
			t.Errorf("%s: skopeo says %+v, ferry says %+v", dst, a, b)
		}
	}
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
