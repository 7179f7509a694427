package cli

import (
	"strings"
	"testing"

	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

// registryFixture is an anonymous plain-HTTP registry holding a
// three-platform index tagged 1 and 2 in "app", and a single image in
// "single".
type registryFixture struct {
	reg *testregistry.Registry
	ix  *testimage.Index
	img *testimage.Image
}

func newRegistryFixture(t *testing.T, o testregistry.Options) *registryFixture {
	t.Helper()
	f := &registryFixture{
		reg: testregistry.New(t, o),
		ix:  testimage.NewIndex(true, amd64, arm64, armv7),
		img: testimage.New(testimage.Options{Seed: 9, Labels: map[string]string{"a": "b"}}),
	}
	f.reg.PushIndex(t, "app", "1", f.ix)
	f.reg.PutManifest(t, "app", "2", f.ix.Manifest, f.ix.MediaType)
	f.reg.Push(t, "single", "latest", f.img)
	return f
}

func (f *registryFixture) name(repoAndTag string) string { return "docker://" + f.reg.Ref(repoAndTag) }

func TestInspectRegistry(t *testing.T) {
	t.Parallel()
	f := newRegistryFixture(t, testregistry.Options{})
	host := f.reg.Host()
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"name, digest and tags", []string{"--override-arch", "amd64", "inspect", "--tls-verify=false", f.name("app:1")}, func(t *testing.T, stdout string) {
			var out inspect.Output
			mustJSON(t, stdout, &out)
			if out.Name != host+"/app" || out.Digest != f.ix.Digest || strings.Join(out.RepoTags, ",") != "1,2" || out.Architecture != "amd64" {
				t.Errorf("inspect = Name %q Digest %s RepoTags %v Architecture %s; want %s/app, the index digest %s, [1 2], amd64",
					out.Name, out.Digest, out.RepoTags, out.Architecture, host, f.ix.Digest)
			}
			if !strings.HasPrefix(stdout, "{\n    \"Name\": \""+host+"/app\",\n    \"Digest\": ") {
				t.Errorf("output does not start as skopeo's:\n%s", stdout)
			}
		}},
		{"override-arch picks the instance", []string{"--override-arch", "arm64", "inspect", "--tls-verify=false", "--format", "{{.Architecture}} {{index .Layers 0}}", f.name("app:1")}, func(t *testing.T, stdout string) {
			if want := "arm64 " + f.ix.Images[1].Layers[0].Digest.String() + "\n"; stdout != want {
				t.Errorf("got %q, want %q", stdout, want)
			}
		}},
		{"by digest", []string{"inspect", "--tls-verify=false", "--no-tags", "--format", "{{.Digest}} {{len .RepoTags}}", f.name("single@" + f.img.Digest.String())}, func(t *testing.T, stdout string) {
			if want := f.img.Digest.String() + " 0\n"; stdout != want {
				t.Errorf("got %q, want %q", stdout, want)
			}
		}},
		{"raw is the index as stored", []string{"inspect", "--tls-verify=false", "--raw", f.name("app:1")}, func(t *testing.T, stdout string) {
			if stdout != string(f.ix.Manifest) {
				t.Errorf("got %q, want the index bytes", stdout)
			}
		}},
		{"config", []string{"inspect", "--tls-verify=false", "--config", "--format", "{{index .Config.Labels \"a\"}}", f.name("single")}, func(t *testing.T, stdout string) {
			if stdout != "b\n" {
				t.Errorf("got %q, want the label from the config", stdout)
			}
		}},
		{"list-tags", []string{"list-tags", "--tls-verify=false", "docker://" + host + "/app"}, func(t *testing.T, stdout string) {
			want := "{\n    \"Repository\": \"" + host + "/app\",\n    \"Tags\": [\n        \"1\",\n        \"2\"\n    ]\n}\n"
			if stdout != want {
				t.Errorf("got\n%s\nwant\n%s", stdout, want)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("ferry %v: exit %d: %s", tc.args, code, stderr)
			}
			tc.check(t, stdout)
		})
	}
}

func TestRegistryErrors(t *testing.T) {
	t.Parallel()
	f := newRegistryFixture(t, testregistry.Options{})
	host := f.reg.Host()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing tag", []string{"inspect", "--tls-verify=false", f.name("app:9")}, 2, host + "/app:9: "},
		{"missing repository", []string{"inspect", "--tls-verify=false", f.name("nothing:1")}, 2, host + "/nothing:1"},
		{"list-tags with a tag", []string{"list-tags", "--tls-verify=false", f.name("app:1")}, 1, "must not have a tag or digest"},
		{"list-tags of an oci layout", []string{"list-tags", "oci:/tmp/x"}, 1, "the oci transport cannot list tags (those that can: docker, docker-archive)"},
		{"command timeout", []string{"--command-timeout", "1ns", "inspect", "--tls-verify=false", f.name("app:1")}, 1, "--command-timeout 1ns"},
		{"copy from a missing tag", []string{"copy", "--src-tls-verify=false", f.name("app:9"), "oci:" + t.TempDir() + ":x"}, 2, "app:9"},
		{"missing authfile", []string{"inspect", "--tls-verify=false", "--authfile", "/nonexistent/auth.json", f.name("app:1")}, 1, "credential file is not accessible: open /nonexistent/auth.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != tc.code || stdout != "" {
				t.Fatalf("ferry %v: exit %d, stdout %q; want exit %d (stderr %s)", tc.args, code, stdout, tc.code, stderr)
			}
			wantOneLine(t, stderr, tc.want)
		})
	}
}

func TestRegistryAuth(t *testing.T) {
	t.Parallel()
	alice := &testregistry.Creds{Username: "alice", Password: "right-pass"}
	for _, mode := range []struct {
		name string
		o    testregistry.Options
	}{
		{"basic over TLS", testregistry.Options{TLS: true, Basic: alice}},
		{"token", testregistry.Options{Token: true, Basic: alice}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f := newRegistryFixture(t, mode.o)
			tls := []string{"--tls-verify=false"}
			if mode.o.TLS {
				tls = []string{"--cert-dir", f.reg.CertDir()}
			}
			img := f.name("single:latest")
			for _, tc := range []struct {
				name  string
				flags []string
				code  int
			}{
				{"creds", []string{"--creds", "alice:right-pass"}, 0},
				{"username and password", []string{"--username", "alice", "--password", "right-pass"}, 0},
				{"wrong password", []string{"--creds", "alice:wrong-pass-123"}, 1},
				{"no credentials", []string{"--no-creds"}, 1},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					args := append(append(append([]string{"inspect", "--format", "{{.Digest}}"}, tls...), tc.flags...), img)
					stdout, stderr, code := runCLI(t, args...)
					if code != tc.code {
						t.Fatalf("exit %d, want %d (%s)", code, tc.code, stderr)
					}
					if code == 0 {
						if stdout != f.img.Digest.String()+"\n" {
							t.Errorf("stdout = %q, want the digest", stdout)
						}
						return
					}
					wantOneLine(t, stderr, "")
					if strings.Contains(stderr, "wrong-pass-123") || strings.Contains(stderr, "right-pass") {
						t.Errorf("a password leaked into stderr: %q", stderr)
					}
				})
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		f := newRegistryFixture(t, testregistry.Options{TLS: true})
		_, stderr, code := runCLI(t, "inspect", f.name("single:latest"))
		if code != 1 {
			t.Fatalf("exit %d, want 1 (%s)", code, stderr)
		}
		// The library names the failure; the CLI adds which flags change it.
		wantOneLine(t, stderr, "certificate not trusted")
		wantOneLine(t, stderr, "--cert-dir, or use --tls-verify=false")
	})
}

func TestDeleteRegistry(t *testing.T) {
	t.Parallel()
	t.Run("by tag removes every tag of the manifest", func(t *testing.T) {
		t.Parallel()
		f := newRegistryFixture(t, testregistry.Options{})
		if _, stderr, code := runCLI(t, "delete", "--tls-verify=false", f.name("app:1")); code != 0 {
			t.Fatalf("delete: exit %d: %s", code, stderr)
		}
		for _, tag := range []string{"app:1", "app:2"} {
			if _, _, found := f.reg.Manifest(t, "app", strings.TrimPrefix(tag, "app:")); found {
				t.Errorf("%s still resolves after deleting its manifest", tag)
			}
		}
		_, stderr, code := runCLI(t, "inspect", "--tls-verify=false", "--raw", f.name("app:2"))
		if code != 2 {
			t.Errorf("inspect of a deleted image: exit %d, want 2 (%s)", code, stderr)
		}
	})
	t.Run("by digest", func(t *testing.T) {
		t.Parallel()
		f := newRegistryFixture(t, testregistry.Options{})
		if _, stderr, code := runCLI(t, "delete", "--tls-verify=false", f.name("single@"+f.img.Digest.String())); code != 0 {
			t.Fatalf("delete: exit %d: %s", code, stderr)
		}
		if _, _, found := f.reg.Manifest(t, "single", "latest"); found {
			t.Error("single:latest still resolves after deleting its manifest by digest")
		}
	})
	t.Run("missing image", func(t *testing.T) {
		t.Parallel()
		f := newRegistryFixture(t, testregistry.Options{})
		_, stderr, code := runCLI(t, "delete", "--tls-verify=false", f.name("app:9"))
		if code != 2 {
			t.Fatalf("exit %d, want 2 (%s)", code, stderr)
		}
		wantOneLine(t, stderr, "app:9")
	})
	t.Run("registry with deletes disabled", func(t *testing.T) {
		t.Parallel()
		f := newRegistryFixture(t, testregistry.Options{NoDelete: true})
		_, stderr, code := runCLI(t, "delete", "--tls-verify=false", f.name("app:1"))
		if code != 1 {
			t.Fatalf("exit %d, want 1 (%s)", code, stderr)
		}
		wantOneLine(t, stderr, "app:1")
	})
	t.Run("oci layouts cannot delete", func(t *testing.T) {
		t.Parallel()
		_, stderr, code := runCLI(t, "delete", "oci:"+t.TempDir()+":x")
		if code != 1 {
			t.Fatalf("exit %d, want 1 (%s)", code, stderr)
		}
		wantOneLine(t, stderr, "cannot delete")
	})
}

// TestTagOnly checks --tag-only: the registry either removes just the tag,
// leaving the manifest and its other tag, or refuses with one sentence
// saying the registry cannot do it.
func TestTagOnly(t *testing.T) {
	t.Parallel()
	f := newRegistryFixture(t, testregistry.Options{})
	_, stderr, code := runCLI(t, "delete", "--tag-only", "--tls-verify=false", f.name("app:1"))
	switch code {
	case 0:
		t.Log("the registry removed the tag alone")
		if _, _, found := f.reg.Manifest(t, "app", "1"); found {
			t.Error("app:1 still resolves after --tag-only")
		}
		if _, _, found := f.reg.Manifest(t, "app", "2"); !found {
			t.Error("app:2 is gone: --tag-only deleted the manifest")
		}
	case 1:
		t.Logf("the registry refused: %s", stderr)
		wantOneLine(t, stderr, "cannot delete a tag")
		if _, _, found := f.reg.Manifest(t, "app", "1"); !found {
			t.Error("app:1 is gone although the tag deletion was refused")
		}
	default:
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stderr, code = runCLI(t, "delete", "--tag-only", "--tls-verify=false", f.name("single@"+f.img.Digest.String()))
	if code != 1 {
		t.Fatalf("--tag-only with a digest: exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "needs a tag")
}

func TestCopyThroughRegistry(t *testing.T) {
	t.Parallel()
	f := newRegistryFixture(t, testregistry.Options{})
	out := t.TempDir()
	layout := "oci:" + out + ":copy"
	digestFile := out + "/digest"
	for _, args := range [][]string{
		{"copy", "--all", "--preserve-digests", "--src-tls-verify=false", f.name("app:1"), layout},
		{"copy", "--all", "--dest-tls-verify=false", "--digestfile", digestFile, layout, f.name("mirror:1")},
	} {
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("ferry %v: exit %d: %s", args, code, stderr)
		}
	}
	b, mt, found := f.reg.Manifest(t, "mirror", "1")
	if !found || string(b) != string(f.ix.Manifest) || mt != f.ix.MediaType {
		t.Errorf("mirror:1 = %s %q, want the index as pushed", mt, b)
	}
	stdout, _, _ := runCLI(t, "inspect", "--tls-verify=false", "--format", "{{.Digest}}", f.name("mirror:1"))
	if stdout != f.ix.Digest.String()+"\n" {
		t.Errorf("inspect mirror:1 digest = %q, want %s", stdout, f.ix.Digest)
	}
}
