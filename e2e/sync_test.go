package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

// TestSyncOnDebianRegistry follows the README's sync walk-through with the
// ferry binary against Debian's docker-registry (htpasswd auth, the
// credentials in the YAML file): skopeo sync and ferry sync mirror the
// same file into two namespaces and get the same tags, ferry also into an
// OCI layout skopeo reads; the second ferry run skips every image.
func TestSyncOnDebianRegistry(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	reg := startRegistry(t, registryOptions{user: "mirror", password: "m1rr0r"})
	for _, tag := range []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "latest"} {
		ferry(t, 0, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", "--dest-creds", "mirror:m1rr0r", sample, "docker://"+reg.host+"/demo/app:"+tag)
	}
	ferry(t, 0, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", "--dest-creds", "mirror:m1rr0r", sample, "docker://"+reg.host+"/demo/tools:edge")
	yml := writeTemp(t, fmt.Sprintf(`%s:
  tls-verify: false
  credentials: {username: mirror, password: m1rr0r}
  images:
    demo/tools: []
  images-by-tag-regex:
    demo/app: ^1\.[12]\.
`, reg.host))
	dest := []string{"--dest-tls-verify=false", "--dest-creds", "mirror:m1rr0r"}
	if r := run(t, nil, skopeo, append(append([]string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker"}, dest...), yml, reg.host+"/by-skopeo")...); r.code != 0 {
		t.Fatalf("skopeo sync: %s", r.stderr)
	}
	r := ferry(t, 0, append(append([]string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker"}, dest...), yml, reg.host+"/by-ferry")...)
	if !strings.Contains(r.stderr, `msg="Synced 3 images from 2 sources" copied=3 skipped=0 failed=0`) {
		t.Errorf("first sync:\n%s", r.stderr)
	}
	for _, repo := range []string{"app", "tools"} {
		want := listTags(t, skopeo, reg.host+"/by-skopeo/"+repo)
		got := listTags(t, skopeo, reg.host+"/by-ferry/"+repo)
		if len(want) == 0 || !slices.Equal(want, got) {
			t.Errorf("%s: skopeo mirrored %v, ferry %v", repo, want, got)
		}
	}
	layout := filepath.Join(t.TempDir(), "layout")
	ferry(t, 0, "--insecure-policy", "sync", "--src", "yaml", "--dest", "oci", yml, layout)
	if r := run(t, nil, skopeo, "inspect", "oci:"+layout+":app:1.2.0"); r.code != 0 {
		t.Errorf("skopeo inspect of the layout: %s", r.stderr)
	}
	r = ferry(t, 0, append(append([]string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker"}, dest...), yml, reg.host+"/by-ferry")...)
	if !strings.Contains(r.stderr, `copied=0 skipped=3 failed=0`) {
		t.Errorf("re-sync did not skip everything:\n%s", r.stderr)
	}
	r = ferry(t, 0, "--insecure-policy", "sync", "--src", "yaml", "--dest", "oci", yml, layout)
	if !strings.Contains(r.stderr, `copied=0 skipped=3 failed=0`) {
		t.Errorf("re-sync into the layout did not skip everything:\n%s", r.stderr)
	}
}

// listTags is skopeo list-tags' tag list, sorted.
func listTags(t *testing.T, skopeo, repo string) []string {
	t.Helper()
	r := run(t, nil, skopeo, "list-tags", "--tls-verify=false", "--creds", "mirror:m1rr0r", "docker://"+repo)
	if r.code != 0 {
		t.Fatalf("skopeo list-tags %s: %s", repo, r.stderr)
	}
	var list struct{ Tags []string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("skopeo list-tags %s: %v", repo, err)
	}
	slices.Sort(list.Tags)
	return list.Tags
}
