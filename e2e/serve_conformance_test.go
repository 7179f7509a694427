package e2e

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/opencontainers/go-digest"
)

// conformanceEnv is the part of the suite's configuration every profile
// shares: plain HTTP, the two repositories it uses, results in dir.
func conformanceEnv(host, dir string) []string {
	return []string{"OCI_REGISTRY=" + host, "OCI_TLS=disabled", "OCI_RESULTS_DIR=" + filepath.Join(dir, "results"),
		"OCI_REPO1=conformance/repo1", "OCI_REPO2=conformance/repo2", "OCI_LOG=error"}
}

// runConformance runs the OCI distribution-spec conformance suite
// (github.com/opencontainers/distribution-spec/conformance, installed as
// `conformance` by .ci/run at a pinned version) with env, and fails the
// test unless it ran and no case failed. The suite exits 0 on a
// configuration error, so its exit status alone proves nothing: the
// test reads the report it prints (the overall result and each API's)
// and, where the suite writes it, junit.xml. The pinned suite panics
// while writing results.yaml in the read-only profile (the blob tests it
// skips leave no test data behind), after printing its report and
// before writing junit.xml; that panic alone is tolerated. It returns
// the API results ("Blob mount": "Pass").
func runConformance(t *testing.T, env []string) map[string]string {
	t.Helper()
	bin := testenv.NeedCommand(t, "conformance")
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	knownPanic := strings.Contains(string(out), "panic: ") && strings.Contains(string(out), "ReportResultsYAML")
	if err != nil && !knownPanic {
		t.Errorf("conformance: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "\nOCI Conformance Test: Pass\n") || strings.Contains(string(out), ": Fail") {
		t.Errorf("conformance did not pass:\n%s", out)
	}
	apis := map[string]string{}
	for _, m := range summaryLine.FindAllStringSubmatch(string(out), -1) {
		apis[m[1]] = m[2]
	}
	if len(apis) == 0 {
		t.Fatalf("conformance printed no API summary:\n%s", out)
	}
	if knownPanic {
		return apis
	}
	var resultsDir string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "OCI_RESULTS_DIR="); ok {
			resultsDir = v
		}
	}
	b, err := os.ReadFile(filepath.Join(resultsDir, "junit.xml"))
	if err != nil {
		t.Fatalf("the suite wrote no junit.xml: %v\n%s", err, out)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(b, &junit); err != nil {
		t.Fatal(err)
	}
	if junit.Tests == 0 || junit.Failures > 0 || junit.Errors > 0 {
		t.Errorf("conformance: %d cases, %d failed, %d errors\n%s", junit.Tests, junit.Failures, junit.Errors, out)
	}
	t.Logf("conformance: %d cases passed", junit.Tests)
	return apis
}

// summaryLine is a line of the suite's API and data summary:
// "  Blob get range................:       Pass".
var summaryLine = regexp.MustCompile(`(?m)^  (\S.*?)\.{2,}:\s+(\w+)$`)

// wantPass fails the test unless every API named passed.
func wantPass(t *testing.T, got map[string]string, apis ...string) {
	t.Helper()
	for _, api := range apis {
		if got[api] != "Pass" {
			t.Errorf("conformance %q: %q, want Pass", api, got[api])
		}
	}
}

// pullAPIs are what every profile serves.
// (ranges are tested on a blob the suite pushes: read-write only).
var pullAPIs = []string{"Ping", "Blob get", "Blob head", "Manifest get by digest", "Manifest get by tag",
	"Manifest head by digest", "Manifest head by tag", "Tag listing", "Referrers"}

// TestServeConformanceReadWrite runs the whole suite, pushes and deletes
// included, against `ferry serve oci:` on an empty layout; once the
// server has stopped, the layout holds no blob (the suite deletes what it
// pushed, and the server takes back uploads no image names).
func TestServeConformanceReadWrite(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	s := startServe(t, "oci:"+layout)
	apis := runConformance(t, append(conformanceEnv(s.host, dir), "OCI_API_BLOBS_UPLOAD_CANCEL=true"))
	wantPass(t, apis, pullAPIs...)
	wantPass(t, apis, "Blob get range", "Blob post only", "Blob post put", "Blob chunked", "Blob streaming", "Blob mount", "Blob anonymous mount",
		"Blob upload cancel", "Blob delete", "Blob delete atomic", "Manifest put by digest", "Manifest put by tag",
		"Manifest put with subject", "Manifest delete", "Manifest delete atomic", "Tag delete", "Tag delete atomic")
	if code := s.stop(t); code != 0 && code != 143 {
		t.Errorf("ferry serve exited %d after SIGTERM\n%s", code, s.log())
	}
	left, _ := filepath.Glob(filepath.Join(layout, "blobs", "*", "*"))
	if len(left) > 0 {
		t.Errorf("the layout keeps %d blobs after the suite deleted everything: %v", len(left), left)
	}
	tmp, _ := filepath.Glob(filepath.Join(layout, ".ferry-tmp-*"))
	if len(tmp) > 0 {
		t.Errorf("the server left its journal: %v", tmp)
	}
}

// TestServeConformanceReadOnly seeds a layout through `ferry serve`
// (ferry copy pushes the sample image, an artifact refers to it), then
// runs the suite's read-only profile against `ferry serve --read-only`
// of that layout and of an oci-archive holding it (the tar of the
// directory, served without extraction).
func TestServeConformanceReadOnly(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	s := startServe(t, "oci:"+layout)
	ferry(t, 0, "copy", "--dest-tls-verify=false", "oci:"+filepath.Join(repoRoot(), "testdata", "sample")+":latest", "docker://"+s.host+"/conformance/repo1:v1")
	m := ferry(t, 0, "inspect", "--raw", "--tls-verify=false", "docker://"+s.host+"/conformance/repo1:v1").stdout
	subject := digest.FromString(m)
	var mf struct {
		Config struct{ Digest digest.Digest }
		Layers []struct{ Digest digest.Digest }
	}
	if err := json.Unmarshal([]byte(m), &mf); err != nil {
		t.Fatal(err)
	}
	artifact := putArtifact(t, s.host, "conformance/repo1", "application/vnd.example.sbom+json", `{"sbom":1}`, subject, "")
	s.stop(t)

	blobs := []string{mf.Config.Digest.String()}
	for _, l := range mf.Layers {
		blobs = append(blobs, l.Digest.String())
	}
	readOnly := []string{"OCI_API_PUSH=false", "OCI_API_BLOBS_DELETE=false", "OCI_API_MANIFESTS_DELETE=false", "OCI_API_TAGS_DELETE=false",
		"OCI_RO_DATA_TAGS=v1", "OCI_RO_DATA_MANIFESTS=" + subject.String() + " " + artifact.String(),
		"OCI_RO_DATA_BLOBS=" + strings.Join(blobs, " "), "OCI_RO_DATA_REFERRERS=" + subject.String()}

	archive := filepath.Join(dir, "layout.tar")
	if out, err := exec.Command("tar", "-C", layout, "-cf", archive, "oci-layout", "index.json", "blobs").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, name := range []string{"oci:" + layout, "oci-archive:" + archive} {
		t.Run(strings.SplitN(name, ":", 2)[0], func(t *testing.T) {
			ro := startServe(t, "--read-only", name)
			apis := runConformance(t, append(conformanceEnv(ro.host, t.TempDir()), readOnly...))
			wantPass(t, apis, pullAPIs...)
			for _, req := range ro.requests() {
				if !strings.HasPrefix(req, "GET ") && !strings.HasPrefix(req, "HEAD ") {
					t.Errorf("the read-only profile sent %q", req)
				}
			}
		})
	}
}
