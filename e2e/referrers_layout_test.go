package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/opencontainers/go-digest"
)

// putArtifact writes, as oras attach does, an OCI artifact of
// artifactType to repo of the registry at host: its blobs, then the
// manifest by digest with subject (a manifest of repo) and, when tag is
// set, under that tag too. It returns the manifest's digest.
func putArtifact(t *testing.T, host, repo, artifactType, content string, subject digest.Digest, tag string) digest.Digest {
	t.Helper()
	put := func(method, url, ct string, body []byte) {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s %s: %s", method, url, resp.Status)
		}
	}
	blob := func(b []byte) digest.Digest {
		d := digest.FromBytes(b)
		resp, err := http.Post(fmt.Sprintf("http://%s/v2/%s/blobs/uploads/", host, repo), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("upload: %s, %v", resp.Status, err)
		}
		q := loc.Query()
		q.Set("digest", d.String())
		loc.RawQuery = q.Encode()
		put(http.MethodPut, loc.String(), "application/octet-stream", b)
		return d
	}
	empty, layer := blob([]byte("{}")), blob([]byte(content))
	m := map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": artifactType,
		"config": map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
		"layers": []any{map[string]any{"mediaType": artifactType, "digest": layer, "size": len(content)}},
	}
	if subject != "" {
		m["subject"] = map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": subjectSize(t, host, repo, subject)}
	}
	b, _ := json.Marshal(m)
	d := digest.FromBytes(b)
	for _, ref := range []string{d.String(), tag} {
		if ref != "" {
			put(http.MethodPut, fmt.Sprintf("http://%s/v2/%s/manifests/%s", host, repo, ref), "application/vnd.oci.image.manifest.v1+json", b)
		}
	}
	return d
}

func subjectSize(t *testing.T, host, repo string, d digest.Digest) int {
	t.Helper()
	e := &sigstoreEnv{reg: &debianRegistry{host: host}}
	return len(e.manifest(t, repo, d.String()))
}

// putReferrersIndex writes the referrers tag schema's index of subject,
// as a client of a registry without the referrers API does.
func putReferrersIndex(t *testing.T, host, repo string, subject digest.Digest, artifactType map[digest.Digest]string) {
	t.Helper()
	e := &sigstoreEnv{reg: &debianRegistry{host: host}}
	var entries []any
	for d, at := range artifactType {
		entries = append(entries, map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": len(e.manifest(t, repo, d.String())), "artifactType": at})
	}
	b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})
	e.putManifest(t, repo, strings.Replace(subject.String(), ":", "-", 1), b)
}

// TestReferrersThroughLayout: with the ferry binary and Debian's
// docker-registry, an image with an SBOM and an attestation attached as
// referrers and a cosign-style .sig tag goes registry → oci: → registry
// with copy --referrers and arrives with every artifact, digests kept;
// skopeo reads the image from the layout; and sync --referrers mirrors the
// repository with its artifacts, the artifact tags not synced as images.
func TestReferrersThroughLayout(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	e := &sigstoreEnv{reg: startRegistry(t, registryOptions{}), dir: t.TempDir()}
	host := e.reg.host
	ferry(t, 0, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", "--preserve-digests", sample, "docker://"+host+"/app:1")
	img := digest.Digest(e.manifestDigest(t, "app", "1"))
	sbom := putArtifact(t, host, "app", "application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`, img, "")
	att := putArtifact(t, host, "app", "application/vnd.in-toto+json", `{"_type":"https://in-toto.io/Statement/v1"}`, img, "")
	putReferrersIndex(t, host, "app", img, map[digest.Digest]string{sbom: "application/spdx+json", att: "application/vnd.in-toto+json"})
	hex := strings.Replace(img.String(), ":", "-", 1)
	sig := putArtifact(t, host, "app", "application/vnd.dev.cosign.simplesigning.v1+json", `{"critical":{}}`, "", hex+".sig")

	lay := filepath.Join(e.dir, "lay")
	flags := []string{"--insecure-policy", "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", "--referrers"}
	ferry(t, 0, append(flags, "docker://"+host+"/app:1", "oci:"+lay+":app")...)
	ferry(t, 0, append(flags, "oci:"+lay+":app", "docker://"+host+"/back:1")...)

	referrers := func(repo string) []string {
		var ix struct{ Manifests []struct{ Digest string } }
		if err := json.Unmarshal(e.manifest(t, repo, hex), &ix); err != nil {
			t.Fatalf("%s: no referrers index: %v", repo, err)
		}
		var out []string
		for _, m := range ix.Manifests {
			out = append(out, m.Digest)
		}
		slices.Sort(out)
		return out
	}
	want := []string{sbom.String(), att.String()}
	slices.Sort(want)
	if got := referrers("back"); !slices.Equal(got, want) {
		t.Errorf("referrers back at the registry: %v, want %v", got, want)
	}
	for _, d := range []digest.Digest{img, sbom, att} {
		if got := e.manifestDigest(t, "back", d.String()); got != d.String() {
			t.Errorf("back:%s missing (%q)", d, got)
		}
	}
	if got := e.manifestDigest(t, "back", hex+".sig"); got != sig.String() {
		t.Errorf("back:%s.sig is %q, want %s", hex, got, sig)
	}
	r := run(t, nil, skopeo, "inspect", "--raw", "oci:"+lay+":app")
	if r.code != 0 || digest.FromString(r.stdout) != img {
		t.Errorf("skopeo inspect of the layout: %s (digest %s, want %s)", r.stderr, digest.FromString(r.stdout), img)
	}
	b, err := os.ReadFile(filepath.Join(lay, "index.json"))
	if err != nil || !strings.Contains(string(b), sbom.String()) || !strings.Contains(string(b), `"`+hex+`.sig"`) {
		t.Errorf("the layout's index.json does not list the SBOM and the .sig tag: %s %v", b, err)
	}

	report := filepath.Join(e.dir, "report.jsonl")
	ferry(t, 0, "--insecure-policy", "sync", "-q", "--src", "docker", "--dest", "docker", "--src-tls-verify=false", "--dest-tls-verify=false",
		"--referrers", "--report", report, host+"/app", host+"/mirror")
	if got := referrers("mirror/app"); !slices.Equal(got, want) {
		t.Errorf("referrers after sync: %v, want %v", got, want)
	}
	if got := e.manifestDigest(t, "mirror/app", hex+".sig"); got != sig.String() {
		t.Errorf("mirror/app:%s.sig is %q after sync, want %s", hex, got, sig)
	}
	if b, err := os.ReadFile(report); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Errorf("sync report: %q, %v; want one image (the artifact tags travel with it)", b, err)
	}
}
