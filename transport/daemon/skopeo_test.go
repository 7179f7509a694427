package daemon_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/daemon"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transports"
	"github.com/google/go-cmp/cmp"
)

// files reads every file under root, by path relative to it.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "index.json" || filepath.Base(p) == "oci-layout" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMatchesSkopeo copies an image out of a real Engine with skopeo and
// with ferry: into dir: (the manifest synthesized for the export, kept as
// it is), into oci: (converted, layers gzipped) and, for ferry, into a
// registry (layers gzipped as the export streams past), whose manifest
// must be the one skopeo writes with --dest-compress.
func TestMatchesSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	d := testdocker.Start(t)
	ctx := context.Background()
	img := testimage.New(testimage.Options{Docker: true, Seed: 33, LayerSizes: []int{160 << 10, 100}})
	cfg := daemon.Config{Host: d.Host}
	dst, err := parseIn(t, cfg, "example.com/skopeo:1").NewDestination(ctx, &transport.Options{TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	reg := testregistry.New(t, testregistry.Options{})
	set := transports.New(transports.Config{Daemon: cfg, Docker: docker.Config{Insecure: true}})
	dir := t.TempDir()
	run := func(t *testing.T, args ...string) {
		t.Helper()
		home := t.TempDir()
		cmd := exec.Command(skopeo, append([]string{"--insecure-policy", "copy", "--src-daemon-host", d.Host}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "REGISTRY_AUTH_FILE=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("skopeo %v: %v\n%s", args, err, out)
		}
	}
	ferry := func(t *testing.T, dst string) *copier.Result {
		t.Helper()
		src, err := set.Parse("docker-daemon:example.com/skopeo:1")
		if err != nil {
			t.Fatal(err)
		}
		to, err := set.Parse(dst)
		if err != nil {
			t.Fatal(err)
		}
		res, err := copier.Copy(ctx, src, to, copier.Options{Source: transport.Options{TmpDir: t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, tc := range []struct{ name, prefix, suffix, wantType string }{
		{"dir", "dir:", "", manifest.MediaTypeDockerManifest},
		{"oci", "oci:", ":t", manifest.MediaTypeOCIManifest},
	} {
		theirs, ours := filepath.Join(dir, "skopeo-"+tc.name), filepath.Join(dir, "ferry-"+tc.name)
		run(t, "docker-daemon:example.com/skopeo:1", tc.prefix+theirs+tc.suffix)
		res := ferry(t, tc.prefix+ours+tc.suffix)
		if res.MediaType != tc.wantType {
			t.Errorf("%s: ferry wrote %s, want %s", tc.name, res.MediaType, tc.wantType)
		}
		if diff := cmp.Diff(files(t, theirs), files(t, ours)); diff != "" {
			t.Errorf("%s: ferry's output differs from skopeo's (-skopeo +ferry):\n%s", tc.name, diff)
		}
	}
	compressed := filepath.Join(dir, "skopeo-compressed")
	run(t, "--dest-compress", "docker-daemon:example.com/skopeo:1", "dir:"+compressed)
	want, err := os.ReadFile(filepath.Join(compressed, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res := ferry(t, "docker://"+reg.Ref("app:1")); string(res.Manifest) != string(want) {
		t.Errorf("pushed manifest\n%s\nskopeo's with --dest-compress\n%s", res.Manifest, want)
	}
}
