package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// writeDir writes src in the layout of skopeo's dir: transport
// (containers-transports(5)): a version file, manifest.json, instance
// manifests as HEX.manifest.json and blobs named by their hex digest.
// It is written by hand so that skopeo reads exactly what ferry reads.
func writeDir(t *testing.T, src *testimage.Source) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("version", []byte("Directory Transport Version: 1.1\n"))
	write("manifest.json", src.Top)
	for d, b := range src.Manifests {
		write(d.Encoded()+".manifest.json", b)
	}
	for d, b := range src.Blobs {
		write(d.Encoded(), b)
	}
	return dir
}

// TestMatchesSkopeo runs skopeo inspect on the same images and checks that
// every field skopeo prints, ferry prints with the same value, and that
// --config prints the same document. (Older skopeo releases lack some
// fields, LayersData for one; fields skopeo does not print are not
// compared.)
func TestMatchesSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	s1 := testimage.NewSchema1("library/app", "v1", 3)
	s1src := &testimage.Source{Top: s1.Manifest, TopType: manifest.MediaTypeDockerSchema1Sig, Blobs: map[digest.Digest][]byte{}}
	for _, tc := range []struct {
		name string
		src  *testimage.Source
		p    manifest.Platform
	}{
		{"oci image", testimage.New(testimage.Options{Labels: map[string]string{"a": "<b&c>"}}).Source(), amd64},
		{"docker image", testimage.New(testimage.Options{Docker: true, Seed: 3}).Source(), amd64},
		{"oci index arm64", testimage.NewIndex(false, amd64, arm64, armv7).Source(), arm64},
		{"docker list arm/v7", testimage.NewIndex(true, amd64, arm64, armv7).Source(), armv7},
		{"schema1", s1src, amd64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, tc.src)
			run := func(args ...string) []byte {
				t.Helper()
				args = append([]string{"--override-os", tc.p.OS, "--override-arch", tc.p.Architecture}, args...)
				if tc.p.Variant != "" {
					args = append([]string{"--override-variant", tc.p.Variant}, args...)
				}
				var stderr bytes.Buffer
				cmd := exec.Command(skopeo, append(args, "dir:"+dir)...)
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("skopeo %v: %v: %s", args, err, stderr.Bytes())
				}
				return out
			}
			ctx := context.Background()
			img, err := inspect.Fetch(ctx, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if raw := run("inspect", "--raw"); !bytes.Equal(raw, img.Raw) {
				t.Errorf("raw manifest differs from skopeo's:\nskopeo %s\nferry  %s", raw, img.Raw)
			}
			in, err := img.Instance(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			out, err := in.Output(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var theirs, ours map[string]any
			mustUnmarshal(t, run("inspect", "--no-tags"), &theirs)
			mustUnmarshal(t, mustMarshal(t, out), &ours)
			for k, v := range theirs {
				if diff := cmp.Diff(v, ours[k]); diff != "" {
					t.Errorf("%s (-skopeo +ferry):\n%s", k, diff)
				}
			}
			cfg, err := in.OCIConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var theirCfg, ourCfg any
			mustUnmarshal(t, run("inspect", "--config"), &theirCfg)
			mustUnmarshal(t, mustMarshal(t, cfg), &ourCfg)
			if diff := cmp.Diff(theirCfg, ourCfg); diff != "" {
				t.Errorf("--config (-skopeo +ferry):\n%s", diff)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
