package cli

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/mirror"
	"github.com/google/go-cmp/cmp"
)

// TestSyncSkopeoAliases uses skopeo's hidden spellings: --screds for the
// source's credentials, --dcreds for the destination's, and --tls-verify
// for both sides.
func TestSyncSkopeoAliases(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{Basic: &testregistry.Creds{Username: "alice", Password: "s3cret"}})
	dst := testregistry.New(t, testregistry.Options{Basic: &testregistry.Creds{Username: "bob", Password: "hunter2"}})
	src.Push(t, "lib/app", "1", testimage.New(testimage.Options{Seed: 400}))
	_, stderr, code := runCLI(t, "--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--tls-verify=false",
		"--screds", "alice:s3cret", "--dcreds", "bob:hunter2", src.Host()+"/lib/app", dst.Host()+"/m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, _, ok := dst.Manifest(t, "m/app", "1"); !ok {
		t.Error("m/app:1 is not at the destination")
	}
}

// TestSyncYAMLRegistrySettings reaches a TLS registry with Basic auth using
// only what the YAML file says for it: credentials and cert-dir.
func TestSyncYAMLRegistrySettings(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{TLS: true, Basic: &testregistry.Creds{Username: "carol", Password: "pa ss"}})
	dst := testregistry.New(t, testregistry.Options{})
	src.Push(t, "lib/app", "1", testimage.New(testimage.Options{Seed: 401}))
	yml := writeYAML(t, fmt.Sprintf("%s:\n  cert-dir: %s\n  credentials:\n    username: carol\n    password: pa ss\n  images:\n    lib/app: []\n",
		src.Host(), src.CertDir()))
	_, stderr, code := runCLI(t, "--insecure-policy", "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", yml, dst.Host()+"/m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, _, ok := dst.Manifest(t, "m/app", "1"); !ok {
		t.Error("m/app:1 is not at the destination")
	}
}

// TestSyncPolicyPerImage checks the trust policy for every image: a
// policy rejecting one repository fails its images (class "rejected")
// and lets the others through, on the first sync and on the re-sync,
// where the rejected ones get no shortcut.
func TestSyncPolicyPerImage(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	dst := testregistry.New(t, testregistry.Options{})
	src.Push(t, "lib/ok", "1", testimage.New(testimage.Options{Seed: 402}))
	src.Push(t, "lib/bad", "1", testimage.New(testimage.Options{Seed: 403}))
	pol := writePolicy(t, t.TempDir(), "policy.json", fmt.Sprintf(`{"default": [{"type": "insecureAcceptAnything"}],
 "transports": {"docker": {"%s/lib/bad": [{"type": "reject"}]}}}`, src.Host()))
	yml := writeYAML(t, fmt.Sprintf("%s:\n  tls-verify: false\n  images:\n    lib/ok: []\n    lib/bad: []\n", src.Host()))
	report := filepath.Join(t.TempDir(), "report")
	for run := 1; run <= 2; run++ {
		_, stderr, code := runCLI(t, "--policy", pol, "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false",
			"--keep-going", "--report", report, yml, dst.Host()+"/m")
		if code != 1 {
			t.Fatalf("run %d: exit %d, want 1: %s", run, code, stderr)
		}
		got := map[string]string{}
		for _, r := range readReport(t, report) {
			got[r.Repository] = string(r.Status) + " " + r.ErrorClass
		}
		okStatus := string(mirror.Copied)
		if run == 2 {
			okStatus = string(mirror.Skipped)
		}
		want := map[string]string{src.Host() + "/lib/ok": okStatus + " ", src.Host() + "/lib/bad": "failed rejected"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %d (-want +got):\n%s", run, diff)
		}
	}
	if _, _, ok := dst.Manifest(t, "m/bad", "1"); ok {
		t.Error("the rejected image reached the destination")
	}
}
