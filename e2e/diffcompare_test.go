package e2e

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// outcome is what one tool did in one case: its exit code, its output, and
// a summary of each artifact the case names (see artifactSummary).
type outcome struct {
	code           int
	stdout, stderr string
	artifacts      []string
}

// stdoutMode says how two tools' standard outputs are compared.
type stdoutMode int

const (
	sameBytes stdoutMode = iota // byte for byte
	sameJSON                    // equal as JSON values (key order and indentation aside)
	noStdout                    // not compared (the case says why)
)

// difference is a documented, deliberate departure from skopeo, each listed
// in the README's "Differences from skopeo". check asserts that the
// departure is there exactly as documented (so it cannot drift into another
// one unseen) and then removes it from both outcomes, so everything else is
// still compared.
type difference struct {
	reason string
	readme string // the phrase of the README's "Differences from skopeo" that lists it
	check  func(t *testing.T, skopeo, ferry *outcome)
}

// Artifact kinds a case can name, each read the same way for both tools:
//
//	tree:PATH       every file under PATH, relative name and SHA-256
//	tar:PATH        every member of the tar file, name and SHA-256 of its content
//
// In both, files whose bytes are not content-addressed (an OCI layout's
// index.json and oci-layout, an archive's manifest.json and repositories)
// are shown whole after "=", so a difference in them reads plainly.
//
//	file:PATH       the file's bytes
//	manifest:IMAGE  the raw manifest skopeo reads from IMAGE (or why not)
//	pushed:IMAGE    the manifest's media type, config descriptor and layer
//	                media types, without the compressed layers' digests and
//	                sizes: skopeo, run as root, reuses a layer compressed in
//	                an earlier run from /var/lib/containers/cache (its blob
//	                info cache, which no flag moves) instead of compressing
//	                it again, so those depend on what ran before. The config
//	                names every layer by its uncompressed digest.
//	verify:ARGS     skopeo standalone-verify's output for ARGS (space-separated)
//	daemon:NAME     the ID of image NAME in the test's dockerd
func (e *diffEnv) artifactSummary(t *testing.T, spec string) string {
	t.Helper()
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "tree":
		return treeSummary(arg)
	case "tar":
		return tarSummary(arg)
	case "file":
		b, err := os.ReadFile(arg)
		if err != nil {
			return "unreadable: " + errors.Unwrap(err).Error()
		}
		return string(b)
	case "manifest":
		r := e.run(t, e.skopeo, []string{"inspect", "--raw", "--tls-verify=false", arg})
		if r.code != 0 {
			return fmt.Sprintf("no manifest (skopeo exits %d)", r.code)
		}
		return r.stdout
	case "pushed":
		r := e.run(t, e.skopeo, []string{"inspect", "--raw", "--tls-verify=false", arg})
		if r.code != 0 {
			return fmt.Sprintf("no manifest (skopeo exits %d)", r.code)
		}
		return pushedSummary(r.stdout)
	case "daemon":
		out, err := exec.Command("docker", "-H", e.daemon, "image", "inspect", "--format", "{{.Id}}", arg).CombinedOutput()
		if err != nil {
			return "no image in the daemon"
		}
		return string(out)
	case "verify":
		r := e.run(t, e.skopeo, append([]string{"standalone-verify"}, strings.Fields(arg)...))
		return fmt.Sprintf("exit %d: %s", r.code, r.stdout)
	}
	t.Fatalf("unknown artifact kind in %q", spec)
	return ""
}

// pushedSummary is the part of a manifest that does not depend on how its
// layers were compressed (see artifactSummary's "pushed").
func pushedSummary(raw string) string {
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
		} `json:"config"`
		Layers []struct {
			MediaType string `json:"mediaType"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return "not a manifest: " + err.Error()
	}
	lines := []string{"mediaType " + m.MediaType, fmt.Sprintf("config %s %s %d", m.Config.MediaType, m.Config.Digest, m.Config.Size)}
	for i, l := range m.Layers {
		lines = append(lines, fmt.Sprintf("layer %d %s", i, l.MediaType))
	}
	return strings.Join(lines, "\n")
}

func treeSummary(root string) string {
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		lines = append(lines, fileLine(rel, b))
		return nil
	})
	if err != nil {
		return "unreadable: " + err.Error()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func tarSummary(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable: " + errors.Unwrap(err).Error()
	}
	defer f.Close()
	var lines []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "unreadable: " + err.Error()
		}
		if h.Typeflag != tar.TypeReg {
			lines = append(lines, fmt.Sprintf("%s %c", h.Name, h.Typeflag))
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return "unreadable: " + err.Error()
		}
		lines = append(lines, fileLine(h.Name, b))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// fileLine is one file of a tree or tar summary.
func fileLine(name string, b []byte) string {
	switch filepath.Base(name) {
	case "index.json", "oci-layout", "repositories":
		return name + " = " + string(b)
	case "manifest.json":
		if !strings.Contains(name, "/") && strings.HasPrefix(string(b), "[") { // an archive's, not dir:'s
			return name + " = " + string(b)
		}
	}
	return fmt.Sprintf("%s %x", name, sha256.Sum256(b))
}

// compareOutcomes fails the test where ferry did not do what skopeo did,
// after the case's documented differences are checked and set aside.
func compareOutcomes(t *testing.T, c diffCase, s, f outcome) {
	t.Helper()
	if f.code != 0 && (!strings.Contains("\n"+f.stderr, "\nferry: ") || strings.Contains(f.stderr, "goroutine ") || strings.Contains(f.stderr, "panic:")) {
		t.Errorf("ferry failed without its one-line \"ferry: ...\" message, or with a Go stack: %s", f.stderr)
	}
	for _, d := range c.differs {
		d.check(t, &s, &f)
	}
	if s.code != f.code {
		t.Errorf("exit code: skopeo %d, ferry %d\nskopeo stderr: %sferry stderr: %s", s.code, f.code, s.stderr, f.stderr)
	}
	switch c.stdout {
	case sameBytes:
		if s.stdout != f.stdout {
			t.Errorf("stdout differs\nskopeo: %q\nferry:  %q", s.stdout, f.stdout)
		}
	case sameJSON:
		var a, b any
		errA, errB := json.Unmarshal([]byte(s.stdout), &a), json.Unmarshal([]byte(f.stdout), &b)
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
			t.Errorf("stdout differs as JSON\nskopeo: %s\nferry:  %s", s.stdout, f.stdout)
		}
	}
	for i, spec := range c.artifacts {
		if s.artifacts[i] != f.artifacts[i] {
			t.Errorf("artifact %s differs\nskopeo:\n%s\nferry:\n%s", spec, s.artifacts[i], f.artifacts[i])
		}
	}
	for _, p := range c.phrases {
		// skopeo's messages go through logrus, which quotes msg="...".
		if !strings.Contains(strings.ReplaceAll(s.stderr, `\"`, `"`), p) {
			t.Errorf("skopeo's stderr lacks %q (the case is wrong): %s", p, s.stderr)
		}
		if !strings.Contains(f.stderr, p) {
			t.Errorf("ferry's stderr lacks %q, which scripts grep for: %s", p, f.stderr)
		}
	}
}

// dropJSONKey removes a top-level key from a JSON object document and
// reports whether it was there.
func dropJSONKey(t *testing.T, doc *string, key string) bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*doc), &m); err != nil {
		t.Errorf("not a JSON object: %q", *doc)
		return false
	}
	_, had := m[key]
	delete(m, key)
	b, _ := json.Marshal(m)
	*doc = string(b)
	return had
}
