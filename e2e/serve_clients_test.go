package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/opencontainers/go-digest"
)

var samplePath = filepath.Join(repoRoot(), "testdata", "sample")

// TestServeClients: skopeo and ferry push to and pull from `ferry serve`
// of a layout, and a `ferry copy` into the same layout while it is
// served is pulled from the server at once.
func TestServeClients(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	s := startServe(t, "oci:"+layout)
	host := s.host

	ferry(t, 0, "copy", "-q", "--dest-tls-verify=false", "oci:"+samplePath+":latest", "docker://"+host+"/ferry/app:1")
	if r := run(t, nil, skopeo, "copy", "-q", "--dest-tls-verify=false", "oci:"+samplePath+":latest", "docker://"+host+"/skopeo/app:2"); r.code != 0 {
		t.Fatalf("skopeo push: %s", r.stderr)
	}
	if r := run(t, nil, skopeo, "copy", "-q", "--src-tls-verify=false", "docker://"+host+"/ferry/app:1", "oci:"+filepath.Join(dir, "by-skopeo")+":x"); r.code != 0 {
		t.Fatalf("skopeo pull: %s", r.stderr)
	}
	ferry(t, 0, "copy", "-q", "--src-tls-verify=false", "docker://"+host+"/skopeo/app:2", "dir:"+filepath.Join(dir, "by-ferry"))
	if _, err := os.Stat(filepath.Join(dir, "by-ferry", "manifest.json")); err != nil {
		t.Error(err)
	}

	// The pushes are images of the layout, as oci: names them.
	for _, ref := range []string{"ferry/app:1", "skopeo/app:2"} {
		if r := run(t, nil, skopeo, "inspect", "--raw", "oci:"+layout+":"+ref); r.code != 0 {
			t.Errorf("skopeo reads %s from the layout: %s", ref, r.stderr)
		}
	}

	// A copy into the layout while it is served.
	ferry(t, 0, "copy", "-q", "oci:"+samplePath+":latest", "oci:"+layout+":direct:3")
	ferry(t, 0, "copy", "-q", "--src-tls-verify=false", "docker://"+host+"/direct:3", "oci:"+filepath.Join(dir, "direct")+":x")
	if got := ferry(t, 0, "list-tags", "--tls-verify=false", "docker://"+host+"/ferry/app").stdout; !strings.Contains(got, `"1"`) {
		t.Errorf("list-tags: %s", got)
	}
	resp, err := http.Get("http://" + host + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("catalog: %s", resp.Status)
	}
}

// TestServeReferrers (issue 14): ferry copy --referrers from the
// in-process registry into `ferry serve` and back goes through the
// server's referrers API (its access log shows it), and inspect
// --referrers against the server lists the artifacts.
func TestServeReferrers(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	src := strings.TrimPrefix(reg.URL, "http://")
	ferry(t, 0, "copy", "-q", "--dest-tls-verify=false", "--preserve-digests", "oci:"+samplePath+":latest", "docker://"+src+"/app:1")
	img := digest.FromString(ferry(t, 0, "inspect", "--raw", "--tls-verify=false", "docker://"+src+"/app:1").stdout)
	sbom := putArtifact(t, src, "app", "application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`, img, "")
	att := putArtifact(t, src, "app", "application/vnd.in-toto+json", `{"_type":"https://in-toto.io/Statement/v1"}`, img, "")
	// distribution has no referrers API: the tag schema lists them there.
	putReferrersIndex(t, src, "app", img, map[digest.Digest]string{sbom: "application/spdx+json", att: "application/vnd.in-toto+json"})

	layout := filepath.Join(t.TempDir(), "layout")
	s := startServe(t, "oci:"+layout)
	flags := []string{"copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", "--referrers"}
	ferry(t, 0, append(flags, "docker://"+src+"/app:1", "docker://"+s.host+"/app:1")...)
	for _, d := range []digest.Digest{sbom, att} {
		if !slices.Contains(s.requests(), "PUT /v2/app/manifests/"+d.String()) {
			t.Errorf("the artifact %s was not pushed to the server by digest; requests:\n%s", d, strings.Join(s.requests(), "\n"))
		}
	}
	tagSchema := "/v2/app/manifests/" + strings.Replace(img.String(), ":", "-", 1)
	for _, req := range s.requests() {
		if strings.HasPrefix(req, "PUT "+tagSchema) {
			t.Errorf("a referrers tag schema index was pushed to a server with the referrers API: %s", req)
		}
	}

	out := ferry(t, 0, "inspect", "--referrers", "--tls-verify=false", "docker://"+s.host+"/app:1").stdout
	for _, d := range []digest.Digest{sbom, att} {
		if !strings.Contains(out, d.String()) {
			t.Errorf("inspect --referrers does not list %s:\n%s", d, out)
		}
	}
	referrersAPI := "GET /v2/app/referrers/" + img.String()
	if !slices.ContainsFunc(s.requests(), func(r string) bool { return strings.HasPrefix(r, referrersAPI) }) {
		t.Errorf("inspect --referrers did not ask the referrers API (%s); requests:\n%s", referrersAPI, strings.Join(s.requests(), "\n"))
	}

	ferry(t, 0, append(flags, "docker://"+s.host+"/app:1", "docker://"+src+"/back:1")...)
	for _, d := range []digest.Digest{img, sbom, att} {
		if _, _, found := reg.Manifest(t, "back", d.String()); !found {
			t.Errorf("back:%s is missing at the registry", d)
		}
	}
	// In the layout, the referrers are index.json entries whose subject
	// is the image, as ferry copy --referrers oci: writes them.
	ix, _, err := ocilayout.At(layout).ReadIndex()
	if err != nil {
		t.Fatal(err)
	}
	var entries []digest.Digest
	for _, e := range ix.Manifests {
		entries = append(entries, e.Digest)
	}
	for _, d := range []digest.Digest{sbom, att} {
		if !slices.Contains(entries, d) {
			t.Errorf("index.json has no entry for %s: %v", d, entries)
		}
	}
}

// TestServeKilledPush: a server killed during a push leaves a valid
// layout (index.json as it was, the image it held readable), and the
// next server on it takes back what the killed one left: the upload's
// temporary file and a blob no image names.
func TestServeKilledPush(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	s := startServe(t, "oci:"+layout)
	ferry(t, 0, "copy", "-q", "--dest-tls-verify=false", "oci:"+samplePath+":latest", "docker://"+s.host+"/app:1")
	before, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	orphan := pushBlob(t, s.host, "app", []byte("a blob no manifest names"))
	startChunk(t, s.host, "app", []byte("half of a blob"))
	if tmp, _ := filepath.Glob(filepath.Join(layout, "blobs", ".ferry-tmp-*")); len(tmp) != 1 {
		t.Fatalf("the unfinished upload's file: %v", tmp)
	}
	s.cmd.Process.Kill()
	s.stop(t)

	after, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil || string(after) != string(before) {
		t.Fatalf("index.json changed: %s, %v", after, err)
	}
	ferry(t, 0, "copy", "-q", "oci:"+layout+":app:1", "dir:"+filepath.Join(t.TempDir(), "out"))

	next := startServe(t, "oci:"+layout)
	if tmp, _ := filepath.Glob(filepath.Join(layout, "blobs", ".ferry-tmp-*")); len(tmp) != 0 {
		t.Errorf("the killed upload's file is left: %v", tmp)
	}
	if _, err := os.Stat(filepath.Join(layout, "blobs", "sha256", orphan.Encoded())); !os.IsNotExist(err) {
		t.Errorf("the blob the killed server stored and no image names is left: %v", err)
	}
	journals, _ := filepath.Glob(filepath.Join(layout, ".ferry-tmp-*"))
	if len(journals) != 1 {
		t.Errorf("journals in the layout: %v, want the running server's alone", journals)
	}
	ferry(t, 0, "copy", "-q", "--src-tls-verify=false", "docker://"+next.host+"/app:1", "dir:"+filepath.Join(t.TempDir(), "again"))
}

// pushBlob uploads b monolithically (POST then PUT) and returns its digest.
func pushBlob(t *testing.T, host, repo string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	resp, err := http.Post(fmt.Sprintf("http://%s/v2/%s/blobs/uploads/?digest=%s", host, repo, d), "application/octet-stream", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("blob push: %s", resp.Status)
	}
	return d
}

// startChunk starts an upload and sends its first chunk, leaving it
// unfinished.
func startChunk(t *testing.T, host, repo string, chunk []byte) {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("http://%s/v2/%s/blobs/uploads/", host, repo), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPatch, loc.String(), strings.NewReader(string(chunk)))
	req.Header.Set("Content-Range", fmt.Sprintf("0-%d", len(chunk)-1))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH: %s", resp.Status)
	}
}

// TestServeDockerPull: Docker Engine pulls an image from `ferry serve
// --read-only docker-archive:` of an archive ferry wrote (layers stored
// compressed); the archive `docker save` then writes of it is served
// too, and ferry pulls the same image from it.
func TestServeDockerPull(t *testing.T) {
	testenv.NeedCommand(t, "docker")
	d := testdocker.Start(t)
	archive := filepath.Join(t.TempDir(), "sample.tar")
	ferry(t, 0, "copy", "-q", "oci:"+samplePath+":latest", "docker-archive:"+archive+":sample:1")
	s := startServe(t, "--read-only", "docker-archive:"+archive)
	name := s.host + "/sample:1"
	d.Docker(t, "pull", name)
	t.Cleanup(func() { d.Docker(t, "rmi", name) })
	want := ferry(t, 0, "inspect", "--format", "{{.Digest}}", "--tls-verify=false", "docker://"+name).stdout
	got := string(d.Docker(t, "image", "inspect", "--format", "{{index .RepoDigests 0}}", name))
	if !strings.Contains(got, strings.TrimSpace(want)) {
		t.Errorf("docker pulled %s, the server serves %s", got, want)
	}

	saved := filepath.Join(t.TempDir(), "saved.tar")
	d.Docker(t, "save", "-o", saved, name)
	again := startServe(t, "--read-only", "docker-archive:"+saved)
	// docker save names the image as it was pulled, HOST:PORT/sample:1:
	// it is served as sample:1.
	tags := ferry(t, 0, "inspect", "--format", "{{.Digest}}", "--tls-verify=false", "docker://"+again.host+"/sample:1")
	if tags.stdout != want {
		t.Errorf("the docker save archive serves %s, want %s", tags.stdout, want)
	}
}

// TestServeStopDropsUploads: on SIGTERM the server drops the upload in
// progress and takes back the blob it stored that no image names; the
// image pushed before stays, and no journal or temporary file is left.
func TestServeStopDropsUploads(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	s := startServe(t, "oci:"+layout)
	ferry(t, 0, "copy", "-q", "--dest-tls-verify=false", "oci:"+samplePath+":latest", "docker://"+s.host+"/app:1")
	orphan := pushBlob(t, s.host, "app", []byte("a blob no manifest names"))
	startChunk(t, s.host, "app", []byte("half of a blob"))
	if code := s.stop(t); code != 143 {
		t.Errorf("ferry serve ended with %d after SIGTERM, want death by SIGTERM (143)\n%s", code, s.log())
	}
	if _, err := os.Stat(filepath.Join(layout, "blobs", "sha256", orphan.Encoded())); !os.IsNotExist(err) {
		t.Errorf("the unused uploaded blob is left: %v", err)
	}
	for _, pattern := range []string{".ferry-tmp-*", "blobs/.ferry-tmp-*"} {
		if left, _ := filepath.Glob(filepath.Join(layout, pattern)); len(left) > 0 {
			t.Errorf("left after a clean stop: %v", left)
		}
	}
	ferry(t, 0, "copy", "-q", "oci:"+layout+":app:1", "dir:"+filepath.Join(t.TempDir(), "out"))
}

// TestServeConcurrentCopy: a push through the server and a `ferry copy`
// into the same layout, run at the same time, both land: index.json is
// replaced under the layout's lock by each, neither loses the other's
// image.
func TestServeConcurrentCopy(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	s := startServe(t, "oci:"+layout)
	done := make(chan result, 2)
	for _, dst := range []string{"oci:" + layout + ":direct:1", "docker://" + s.host + "/pushed:1"} {
		go func() {
			done <- run(t, nil, ferryBin, "copy", "-q", "--dest-tls-verify=false", "oci:"+samplePath+":latest", dst)
		}()
	}
	for range 2 {
		if r := <-done; r.code != 0 {
			t.Fatalf("copy: %s", r.stderr)
		}
	}
	for _, repo := range []string{"direct", "pushed"} {
		ferry(t, 0, "inspect", "--raw", "--tls-verify=false", "docker://"+s.host+"/"+repo+":1")
	}
}
