package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/mirror"
	"github.com/google/go-cmp/cmp"
)

// tagPageCap is the page size the source registry allows: real registries
// cap tag list pages (Docker Hub at 100, others lower) below the 1000 ferry
// asks for; capping n here makes a few dozen tags span several pages.
const tagPageCap = 7

// capTagPages lowers the n= of tag list requests to tagPageCap, as a
// registry enforcing a smaller page size does.
func capTagPages(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			q := r.URL.Query()
			q.Set("n", fmt.Sprint(tagPageCap))
			r.URL.RawQuery = q.Encode()
		}
		h.ServeHTTP(w, r)
	})
}

// syncSource is a registry holding lib/app with many tags (semantic
// versions and others) and lib/other with three.
type syncSource struct {
	reg    *testregistry.Registry
	appTag []string
	images map[string]*testimage.Image // by repo:tag
}

func newSyncSource(t *testing.T) *syncSource {
	t.Helper()
	s := &syncSource{reg: testregistry.New(t, testregistry.Options{Wrap: capTagPages}), images: map[string]*testimage.Image{}}
	seed := int64(1)
	push := func(repo, tag string) {
		img := testimage.New(testimage.Options{Seed: seed, LayerSizes: []int{300, 200}})
		seed++
		s.reg.Push(t, repo, tag, img)
		s.images[repo+":"+tag] = img
	}
	for _, minor := range []int{0, 1, 2, 3} {
		for _, patch := range []int{0, 1, 2} {
			for _, major := range []int{1, 2} {
				tag := fmt.Sprintf("%d.%d.%d", major, minor, patch)
				s.appTag = append(s.appTag, tag)
				push("lib/app", tag)
			}
		}
	}
	for _, tag := range []string{"latest", "v2.4.0", "2.4.0-rc1", "edge"} {
		s.appTag = append(s.appTag, tag)
		push("lib/app", tag)
	}
	for _, tag := range []string{"a", "b", "c"} {
		push("lib/other", tag)
	}
	return s
}

// tagListGets counts the tag list pages the registry served.
func tagListGets(reg *testregistry.Registry) int {
	n := 0
	for _, r := range reg.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/tags/list") {
			n++
		}
	}
	return n
}

// contentGets lists the manifest and blob GETs the registry served.
func contentGets(reg *testregistry.Registry) []string {
	var out []string
	for _, r := range reg.Requests() {
		if r.Method == http.MethodGet && (strings.Contains(r.Path, "/manifests/") || strings.Contains(r.Path, "/blobs/")) {
			out = append(out, r.Path)
		}
	}
	return out
}

func readReport(t *testing.T, path string) []mirror.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []mirror.Result
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var r mirror.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("report line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func statuses(rs []mirror.Result) map[mirror.Status]int {
	m := map[mirror.Status]int{}
	for _, r := range rs {
		m[r.Status]++
	}
	return m
}

// destTags lists repo's tags at reg (none when the repository is missing).
func destTags(t *testing.T, reg *testregistry.Registry, repo string) []string {
	t.Helper()
	resp, err := reg.HTTPClient().Get(reg.URL + "/v2/" + repo + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body struct{ Tags []string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	slices.Sort(body.Tags)
	return body.Tags
}

func writeYAML(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sync.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSyncYAMLSelectors syncs a YAML file using each selector kind from a
// registry whose tag lists span several pages, then syncs again and
// checks that the second run only asked HEADs: no manifest or blob GET
// at either registry.
func TestSyncYAMLSelectors(t *testing.T) {
	t.Parallel()
	src := newSyncSource(t)
	dst := testregistry.New(t, testregistry.Options{})
	appDigest := src.images["lib/app:1.3.0"].Digest
	yml := writeYAML(t, fmt.Sprintf(`%s:
  tls-verify: false
  images:
    lib/other: []
    lib/app: ["1.0.0", "%s"]
  images-by-tag-regex:
    lib/app: ^1\.1\.
  images-by-semver:
    lib/app: ">= 2.2.0, < 2.4.0"
`, src.reg.Host(), appDigest))
	report := filepath.Join(t.TempDir(), "report.jsonl")
	digests := filepath.Join(t.TempDir(), "digests")
	args := []string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false",
		"--report", report, "--digestfile", digests, yml, dst.Host() + "/mirror"}
	_, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	if n := tagListGets(src.reg); n < 3 {
		t.Errorf("the source served %d tag list pages, want the listing to span several", n)
	}
	// 1.0.0 (images), 1.1.x (regex), 2.2.x and 2.3.x (semver, which
	// reads v2.4.0 and 2.4.0-rc1 as out of range), and the
	// digest, which lands under the repository's name with its digest.
	wantApp := []string{"1.0.0", "1.1.0", "1.1.1", "1.1.2", "2.2.0", "2.2.1", "2.2.2", "2.3.0", "2.3.1", "2.3.2"}
	if diff := cmp.Diff(wantApp, destTags(t, dst, "mirror/app")); diff != "" {
		t.Errorf("mirror/app tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, destTags(t, dst, "mirror/other")); diff != "" {
		t.Errorf("mirror/other tags (-want +got):\n%s", diff)
	}
	if _, _, ok := dst.Manifest(t, "mirror/app", appDigest.String()); !ok {
		t.Errorf("the image named by digest %s is not at the destination", appDigest)
	}
	if !strings.Contains(stderr, `msg="Synced 14 images from 4 sources"`) {
		t.Errorf("stderr lacks the summary line:\n%s", stderr)
	}
	first := readReport(t, report)
	if got := statuses(first); got[mirror.Copied] != 14 || len(first) != 14 {
		t.Errorf("first report: %v over %d lines, want 14 copied", got, len(first))
	}
	b, err := os.ReadFile(digests)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%s docker://%s/mirror/app:1.0.0\n", src.images["lib/app:1.0.0"].Digest, dst.Host()); !strings.HasPrefix(string(b), want) {
		t.Errorf("--digestfile starts %q, want %q", firstLine(string(b)), want)
	}

	src.reg.ResetRequests()
	dst.ResetRequests()
	_, stderr, code = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("re-sync: exit %d: %s", code, stderr)
	}
	// As skopeo 1.9.3 does: "Copying image ref N/M", then the skip said.
	if n := strings.Count(stderr, `msg="Skipping: image already present at destination"`); n != 14 {
		t.Errorf("re-sync said %d images were skipped, want 14:\n%s", n, stderr)
	}
	if got := contentGets(src.reg); len(got) != 0 {
		t.Errorf("re-sync fetched from the source: %v", got)
	}
	if got := contentGets(dst); len(got) != 0 {
		t.Errorf("re-sync fetched from the destination: %v", got)
	}
	second := readReport(t, report)
	if got := statuses(second); got[mirror.Skipped] != 14 {
		t.Errorf("re-sync report: %v, want 14 skipped", got)
	}
	// One HEAD per image named by tag at the source (the digest needs
	// none), the tag list pages, and the ping.
	heads := 0
	for _, r := range src.reg.Requests() {
		if r.Method == http.MethodHead {
			heads++
		}
	}
	if heads != 13 {
		t.Errorf("re-sync sent %d HEADs to the source, want 13", heads)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
