package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/mirror"
	"github.com/google/go-cmp/cmp"
)

// shardWorkerEnv makes TestSyncShardWorker act as one ferry process: the
// variable holds its arguments as a JSON list.
const shardWorkerEnv = "FERRY_SYNC_SHARD_WORKER"

// TestSyncShardWorker is not a test: TestSyncShards runs the test binary
// with shardWorkerEnv set to make it a separate ferry process.
func TestSyncShardWorker(t *testing.T) {
	raw := os.Getenv(shardWorkerEnv)
	if raw == "" {
		t.Skip("run by TestSyncShards")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestSyncShards runs four ferry processes, each with its part of the
// same YAML file (one through auto/4 and $JOB_COMPLETION_INDEX), and
// checks that together they copied every image exactly once, each
// repository by a single worker.
func TestSyncShards(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	dst := testregistry.New(t, testregistry.Options{})
	var yml strings.Builder
	fmt.Fprintf(&yml, "%s:\n  tls-verify: false\n  images:\n", src.Host())
	var all []string
	for r := range 12 {
		repo := fmt.Sprintf("team/svc%02d", r)
		fmt.Fprintf(&yml, "    %s: []\n", repo)
		for _, tag := range []string{"1", "2"} {
			src.Push(t, repo, tag, testimage.New(testimage.Options{Seed: int64(r*10) + int64(len(tag))}))
			all = append(all, fmt.Sprintf("docker://%s/%s:%s", src.Host(), repo, tag))
		}
	}
	file := writeYAML(t, yml.String())
	dir := t.TempDir()
	procs := make([]*exec.Cmd, 4)
	for i := range procs {
		shard := fmt.Sprintf("%d/4", i)
		env := []string{}
		if i == 3 {
			shard = "auto/4"
			env = append(env, "JOB_COMPLETION_INDEX=3")
		}
		args, _ := json.Marshal([]string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false",
			"--shard", shard, "--report", filepath.Join(dir, fmt.Sprintf("r%d", i)), file, dst.Host() + "/m"})
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyncShardWorker$", "-test.count=1")
		cmd.Env = append(append(os.Environ(), shardWorkerEnv+"="+string(args)), env...)
		procs[i] = cmd
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	var got []string
	owner := map[string]int{}
	for i := range procs {
		rs := readReport(t, filepath.Join(dir, fmt.Sprintf("r%d", i)))
		if len(rs) == len(all) {
			t.Errorf("worker %d copied everything: the work was not split", i)
		}
		for _, r := range rs {
			if r.Status != mirror.Copied {
				t.Errorf("worker %d: %s %s: %s", i, r.Source, r.Status, r.Error)
			}
			got = append(got, r.Source)
			if w, ok := owner[r.Repository]; ok && w != i {
				t.Errorf("repository %s split between workers %d and %d", r.Repository, w, i)
			}
			owner[r.Repository] = i
		}
	}
	slices.Sort(got)
	slices.Sort(all)
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("images copied by the four workers (-want +got):\n%s", diff)
	}
	puts := map[string]int{}
	for _, r := range dst.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/manifests/") {
			puts[r.Path]++
		}
	}
	if len(puts) != len(all) {
		t.Errorf("the destination received %d distinct manifest PUTs, want %d", len(puts), len(all))
	}
	for p, n := range puts {
		if n != 1 {
			t.Errorf("%s was PUT %d times", p, n)
		}
	}
}

// TestSyncOCIDestination mirrors a repository into one OCI layout and
// reads every image back with skopeo; a second run skips them all
// without fetching from the source.
func TestSyncOCIDestination(t *testing.T) {
	t.Parallel()
	skopeoBin(t)
	src := testregistry.New(t, testregistry.Options{})
	imgs := map[string]*testimage.Image{}
	for i, tag := range []string{"1.0", "1.1", "2.0", "edge"} {
		imgs[tag] = testimage.New(testimage.Options{Seed: int64(i + 100), Docker: i%2 == 0})
		src.Push(t, "lib/app", tag, imgs[tag])
	}
	out := filepath.Join(t.TempDir(), "layout")
	args := []string{"--insecure-policy", "sync", "--src", "docker", "--dest", "oci", "--src-tls-verify=false",
		"--exclude-tag", "edge", "--report", filepath.Join(t.TempDir(), "report"), src.Host() + "/lib/app", out}
	if _, stderr, code := runCLI(t, args...); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	for tag, img := range imgs {
		raw, err := runSkopeo(t, "inspect", "--raw", "oci:"+out+":app:"+tag)
		if tag == "edge" {
			if err == nil {
				t.Errorf("--exclude-tag edge: the layout holds app:edge")
			}
			continue
		}
		if err != nil {
			t.Fatalf("skopeo inspect app:%s: %v\n%s", tag, err, raw)
		}
		// Docker manifests are converted to OCI ones (skopeo reads only
		// those from a layout); config and layers stay as they were.
		var m struct {
			MediaType string
			Config    struct{ Digest string }
			Layers    []struct{ Digest string }
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("app:%s: %v", tag, err)
		}
		var layers []string
		for _, l := range m.Layers {
			layers = append(layers, l.Digest)
		}
		var want []string
		for _, l := range img.Layers {
			want = append(want, l.Digest.String())
		}
		if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.Digest != img.Config.Digest.String() || !slices.Equal(layers, want) {
			t.Errorf("app:%s: skopeo reads %s, want an OCI manifest of the source's config and layers", tag, raw)
		}
		if img.MediaType == m.MediaType && raw != string(img.Manifest) {
			t.Errorf("app:%s: an OCI manifest was rewritten", tag)
		}
	}
	src.ResetRequests()
	report := args[len(args)-3]
	if _, stderr, code := runCLI(t, args...); code != 0 {
		t.Fatalf("re-sync: exit %d: %s", code, stderr)
	}
	if got := statuses(readReport(t, report)); got[mirror.Skipped] != 3 {
		t.Errorf("re-sync: %v, want 3 skipped", got)
	}
	if got := contentGets(src); len(got) != 0 {
		t.Errorf("re-sync fetched from the source: %v", got)
	}
}

// TestSyncKeepGoing syncs a YAML file naming a repository that does not
// exist and a tag that does not exist: with --keep-going the rest is
// copied, both failures are reported and the exit status is 1; without
// it, the sync stops before copying anything.
func TestSyncKeepGoing(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	dst := testregistry.New(t, testregistry.Options{})
	for i, tag := range []string{"a", "b"} {
		src.Push(t, "lib/other", tag, testimage.New(testimage.Options{Seed: int64(i + 200)}))
	}
	src.Push(t, "lib/app", "1.0.0", testimage.New(testimage.Options{Seed: 300}))
	file := writeYAML(t, fmt.Sprintf(`%s:
  tls-verify: false
  images:
    lib/app: ["1.0.0", "9.9.9"]
    lib/gone: []
    lib/other: []
`, src.Host()))
	report := filepath.Join(t.TempDir(), "report")
	base := []string{"--insecure-policy", "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", "--report", report}

	_, stderr, code := runCLI(t, append(base, file, dst.Host()+"/m")...)
	if code == 0 {
		t.Fatalf("without --keep-going: exit 0\n%s", stderr)
	}
	for _, r := range dst.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Fatalf("without --keep-going the destination was written to: %s %s", r.Method, r.Path)
		}
	}

	_, stderr, code = runCLI(t, append(append(base, "--keep-going"), file, dst.Host()+"/m")...)
	if code != 1 {
		t.Fatalf("--keep-going: exit %d, want 1\n%s", code, stderr)
	}
	rs := readReport(t, report)
	failed := map[string]string{}
	for _, r := range rs {
		if r.Status == mirror.Failed {
			failed[r.Repository] = r.ErrorClass
		}
	}
	want := map[string]string{src.Host() + "/lib/gone": "not-found", src.Host() + "/lib/app": "not-found"}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if got := statuses(rs); got[mirror.Copied] != 3 {
		t.Errorf("statuses %v, want 3 copied", got)
	}
	if diff := cmp.Diff([]string{"a", "b"}, destTags(t, dst, "m/other")); diff != "" {
		t.Errorf("m/other (-want +got):\n%s", diff)
	}
	for _, want := range []string{`msg="Synced 3 images from 2 sources"`, `level=error msg="Error copying ref`, "Sync failed due to previous reported error(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestSyncBadInput checks that bad input is refused in one sentence with
// exit status 1 before any request reaches the registry.
func TestSyncBadInput(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	reg.Push(t, "lib/app", "1", testimage.New(testimage.Options{}))
	reg.ResetRequests()
	yaml := func(doc string) string { return writeYAML(t, strings.ReplaceAll(doc, "REG", reg.Host())) }
	dirSrc := t.TempDir()
	fileDest := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fileDest, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"malformed yaml", []string{"--src", "yaml", "--dest", "docker", yaml("REG:\n  images: [oops\n"), "x.example/m"}, "not a valid sync YAML file"},
		{"unknown yaml key", []string{"--src", "yaml", "--dest", "docker", yaml("REG:\n  image:\n    lib/app: []\n"), "x.example/m"}, "field image not found"},
		{"bad regex", []string{"--src", "yaml", "--dest", "docker", yaml("REG:\n  images-by-tag-regex:\n    lib/app: '(1'\n"), "x.example/m"}, "not a valid regular expression"},
		{"bad semver", []string{"--src", "yaml", "--dest", "docker", yaml("REG:\n  images-by-semver:\n    lib/app: '>= banana'\n"), "x.example/m"}, "not a valid version constraint"},
		{"bad yaml ref", []string{"--src", "yaml", "--dest", "docker", yaml("REG:\n  images:\n    lib/app: ['no spaces']\n"), "x.example/m"}, "neither a tag nor a digest"},
		{"missing yaml file", []string{"--src", "yaml", "--dest", "docker", filepath.Join(dirSrc, "none.yaml"), "x.example/m"}, "reading the YAML source"},
		{"unknown source", []string{"--src", "ftp", "--dest", "docker", reg.Host() + "/lib/app", "x.example/m"}, `"ftp" is not a valid source transport`},
		{"unknown destination", []string{"--src", "docker", "--dest", "tape", reg.Host() + "/lib/app", "x.example/m"}, `"tape" is not a valid destination transport`},
		{"no source type", []string{"--dest", "docker", reg.Host() + "/lib/app", "x.example/m"}, "a source transport must be specified"},
		{"dir to dir", []string{"--src", "dir", "--dest", "dir", dirSrc, t.TempDir()}, "consider using rsync"},
		{"bad include", []string{"--src", "docker", "--dest", "docker", "--include-tag", "([", reg.Host() + "/lib/app", "x.example/m"}, "--include-tag"},
		{"bad shard", []string{"--src", "docker", "--dest", "docker", "--shard", "4/4", reg.Host() + "/lib/app", "x.example/m"}, "want an index from 0 to 3"},
		{"auto shard without index", []string{"--src", "docker", "--dest", "docker", "--shard", "auto/4", reg.Host() + "/lib/app", "x.example/m"}, "JOB_COMPLETION_INDEX"},
		{"oci path with colon", []string{"--src", "docker", "--dest", "oci", reg.Host() + "/lib/app", "/tmp/a:b"}, "cannot contain"},
		{"destination under a file", []string{"--src", "docker", "--dest", "dir", reg.Host() + "/lib/app", filepath.Join(fileDest, "out")}, "is not a directory"},
		{"bad destination name", []string{"--src", "docker", "--dest", "docker", "--append-suffix", "!", reg.Host() + "/lib/app", "x.example/m"}, "naming the destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "auto shard without index" && os.Getenv("JOB_COMPLETION_INDEX") != "" {
				t.Skip("JOB_COMPLETION_INDEX is set")
			}
			args := append([]string{"--insecure-policy", "sync", "--src-tls-verify=false"}, tc.args...)
			_, stderr, code := runCLI(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			msg := strings.TrimSuffix(strings.TrimSuffix(stderr, "\n"), "\nRun 'ferry sync --help' for usage.")
			wantOneLine(t, msg+"\n", tc.want)
		})
	}
	for _, r := range reg.Requests() {
		if strings.Contains(r.Path, "/manifests/") || strings.Contains(r.Path, "/blobs/") {
			t.Errorf("bad input reached the registry: %s %s", r.Method, r.Path)
		}
	}
}

// TestSyncShardsIntoOneLayout runs four shards at once into one new OCI
// layout: every image ends up in it once, and the sync record holds them
// all, so a re-sync by any one worker of all shards skips everything.
func TestSyncShardsIntoOneLayout(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	var yml strings.Builder
	fmt.Fprintf(&yml, "%s:\n  tls-verify: false\n  images:\n", src.Host())
	for r := range 8 {
		repo := fmt.Sprintf("team/svc%d", r)
		fmt.Fprintf(&yml, "    %s: []\n", repo)
		src.Push(t, repo, "1", testimage.New(testimage.Options{Seed: int64(500 + r), Docker: r%2 == 0}))
	}
	file := writeYAML(t, yml.String())
	out := filepath.Join(t.TempDir(), "layout")
	errs := make(chan string, 4)
	for i := range 4 {
		go func() {
			_, stderr, code := runCLI(t, "--insecure-policy", "sync", "--src", "yaml", "--dest", "oci", "--shard", fmt.Sprintf("%d/4", i), file, out)
			if code != 0 {
				errs <- stderr
				return
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Errorf("a shard failed: %s", e)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ix struct {
		Manifests []struct{ Annotations map[string]string }
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ix.Manifests {
		names = append(names, m.Annotations["org.opencontainers.image.ref.name"])
	}
	slices.Sort(names)
	want := []string{"svc0:1", "svc1:1", "svc2:1", "svc3:1", "svc4:1", "svc5:1", "svc6:1", "svc7:1"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("layout index (-want +got):\n%s", diff)
	}
	src.ResetRequests()
	report := filepath.Join(t.TempDir(), "report")
	if _, stderr, code := runCLI(t, "--insecure-policy", "sync", "--src", "yaml", "--dest", "oci", "--report", report, file, out); code != 0 {
		t.Fatalf("re-sync: %s", stderr)
	}
	if got := statuses(readReport(t, report)); got[mirror.Skipped] != 8 {
		t.Errorf("re-sync: %v, want 8 skipped", got)
	}
	if got := contentGets(src); len(got) != 0 {
		t.Errorf("re-sync fetched from the source: %v", got)
	}
}
