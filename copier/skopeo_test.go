package copier_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// dockerImage pushes to repo:tag a Docker schema-2 image as docker push
// stores it: an indented manifest and a config with Docker's own fields
// (container_config, docker_version, a healthcheck), which a conversion
// to OCI must drop exactly as skopeo drops them.
func dockerImage(t *testing.T, reg *testregistry.Registry, repo, tag string) {
	t.Helper()
	img := testimage.New(testimage.Options{Docker: true, Seed: 90, Labels: map[string]string{"html": "<b>&"}})
	var cfg map[string]any
	if err := json.Unmarshal(img.Blobs[img.Config.Digest], &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["container"] = "c0ffee"
	cfg["docker_version"] = "20.10.23"
	cfg["container_config"] = map[string]any{"Hostname": "c0ffee", "Cmd": []string{"/bin/sh", "-c", "#(nop) CMD"}}
	inner := cfg["config"].(map[string]any)
	inner["Healthcheck"] = map[string]any{"Test": []string{"CMD", "true"}}
	inner["ArgsEscaped"] = true
	inner["StopSignal"] = "SIGTERM"
	cb, err := json.MarshalIndent(cfg, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{
		"schemaVersion": 2, "mediaType": manifest.MediaTypeDockerManifest,
		"config": map[string]any{"mediaType": manifest.MediaTypeDockerConfig, "size": len(cb), "digest": reg.PutBlob(t, repo, cb)},
	}
	var layers []map[string]any
	for _, l := range img.Layers {
		layers = append(layers, map[string]any{"mediaType": l.MediaType, "size": l.Size, "digest": reg.PutBlob(t, repo, img.Blobs[l.Digest])})
	}
	m["layers"] = layers
	mb, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	reg.PutManifest(t, repo, tag, mb, manifest.MediaTypeDockerManifest)
}

// runSkopeo runs Debian's skopeo with no credential file or cache of the
// machine.
func runSkopeo(t *testing.T, skopeo string, args ...string) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(skopeo, append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_DATA_HOME="+home, "REGISTRY_AUTH_FILE=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("skopeo %v: %v\n%s", args, err, out)
	}
}

// artifacts is what a copy wrote, keyed by file name: every file of a
// dir:, the blobs of an oci: layout or oci-archive: and, for those, the
// descriptor index.json gives the image (its media type and digest; the
// rest of index.json is compared by the layout's own tests).
func artifacts(t *testing.T, transport, path string) map[string]string {
	t.Helper()
	files := map[string]string{}
	switch transport {
	case "dir":
		walkFiles(t, path, files)
	case "oci":
		walkFiles(t, filepath.Join(path, "blobs"), files)
		b, err := os.ReadFile(filepath.Join(path, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		files["index.json"] = topDescriptor(t, b)
	case "oci-archive":
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimPrefix(h.Name, "./")
			switch {
			case strings.HasPrefix(name, "blobs/") && h.Typeflag == tar.TypeReg:
				files[strings.TrimPrefix(name, "blobs/")] = string(b)
			case name == "index.json":
				files[name] = topDescriptor(t, b)
			}
		}
	}
	return files
}

func walkFiles(t *testing.T, root string, into map[string]string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		into[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func topDescriptor(t *testing.T, index []byte) string {
	t.Helper()
	var ix ocispec.Index
	if err := json.Unmarshal(index, &ix); err != nil || len(ix.Manifests) != 1 {
		t.Fatalf("index.json %s: %v", index, err)
	}
	return ix.Manifests[0].MediaType + " " + ix.Manifests[0].Digest.String()
}

// TestConversionsMatchSkopeo runs skopeo and ferry on the same input and
// compares what they wrote byte for byte: the manifests (so their digests
// agree), the configs (a Docker config converted to OCI) and the layers
// (compressed on the way into oci:, as skopeo compresses them).
func TestConversionsMatchSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	dockerImage(t, reg, "docker", "1")
	list := testimage.NewIndex(true, manifest.Platform{OS: "linux", Architecture: "amd64"}, manifest.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	reg.PushIndex(t, "list", "1", list)
	sample, err := filepath.Abs("../testdata/sample")
	if err != nil {
		t.Fatal(err)
	}
	// skopeo writes the docker-archive both tools read, as docker save
	// would: uncompressed layers.
	archive := filepath.Join(t.TempDir(), "docker.tar")
	runSkopeo(t, skopeo, "copy", "--src-tls-verify=false", "docker://"+reg.Ref("docker:1"), "docker-archive:"+archive+":example.com/app:1")

	// skopeo's dir: of that archive keeps its manifest, which calls the
	// uncompressed layers gzip; copied on, they must be compressed.
	archiveDir := filepath.Join(t.TempDir(), "dir")
	runSkopeo(t, skopeo, "copy", "docker-archive:"+archive, "dir:"+archiveDir)

	registry := "docker://" + reg.Ref("docker:1")
	for _, tc := range []struct {
		name, src, dst string   // dst is a transport name
		global, flags  []string // skopeo's options before and after "copy"
		o              copier.Options
		wantType       string // the manifest media type written
	}{
		{"registry docker to oci", registry, "oci", nil, nil, copier.Options{}, manifest.MediaTypeOCIManifest},
		{"registry docker to oci-archive", registry, "oci-archive", nil, nil, copier.Options{}, manifest.MediaTypeOCIManifest},
		{"registry docker to oci, zstd", registry, "oci", nil, []string{"--dest-compress-format", "zstd"}, copier.Options{Compression: "zstd"}, manifest.MediaTypeOCIManifest},
		{"registry docker to oci, digests preserved", registry, "oci", nil, []string{"--preserve-digests"}, copier.Options{PreserveDigests: true}, manifest.MediaTypeDockerManifest},
		{"registry docker to dir as oci", registry, "dir", nil, []string{"--format", "oci"}, copier.Options{Format: "oci"}, manifest.MediaTypeOCIManifest},
		{"registry docker to dir as v2s2", registry, "dir", nil, []string{"--format", "v2s2"}, copier.Options{Format: "v2s2"}, manifest.MediaTypeDockerManifest},
		{"registry docker list to oci, all", "docker://" + reg.Ref("list:1"), "oci", nil, []string{"--all"}, copier.Options{MultiArch: copier.All}, manifest.MediaTypeOCIIndex},
		{"oci index to dir as v2s2, all", "oci:" + sample, "dir", nil, []string{"--all", "--format", "v2s2"}, copier.Options{MultiArch: copier.All, Format: "v2s2"}, manifest.MediaTypeDockerList},
		{"oci image to dir as v2s2", "oci:" + sample, "dir", []string{"--override-arch", "arm64"}, []string{"--format", "v2s2"},
			copier.Options{Platform: manifest.Platform{OS: "linux", Architecture: "arm64"}, Format: "v2s2"}, manifest.MediaTypeDockerManifest},
		{"docker-archive to oci", "docker-archive:" + archive, "oci", nil, nil, copier.Options{}, manifest.MediaTypeOCIManifest},
		{"docker-archive to oci-archive", "docker-archive:" + archive, "oci-archive", nil, nil, copier.Options{}, manifest.MediaTypeOCIManifest},
		{"docker-archive to dir", "docker-archive:" + archive, "dir", nil, nil, copier.Options{}, manifest.MediaTypeDockerManifest},
		{"dir of a docker-archive to oci", "dir:" + archiveDir, "oci", nil, nil, copier.Options{}, manifest.MediaTypeOCIManifest},
		{"dir of a docker-archive to oci, gzip asked", "dir:" + archiveDir, "oci", nil, []string{"--dest-compress"}, copier.Options{Compression: "gzip"}, manifest.MediaTypeOCIManifest},
		{"docker-archive to dir as oci", "docker-archive:" + archive, "dir", nil, []string{"--format", "oci"}, copier.Options{Format: "oci"}, manifest.MediaTypeOCIManifest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			theirs, ours := filepath.Join(dir, "skopeo"), filepath.Join(dir, "ferry")
			suffix := ""
			if tc.dst == "oci" {
				suffix = ":t"
			}
			args := append(append(append([]string{}, tc.global...), "copy", "--src-tls-verify=false"), tc.flags...)
			runSkopeo(t, skopeo, append(args, tc.src, tc.dst+":"+theirs+suffix)...)
			res, err := copier.Copy(context.Background(), parse(t, tc.src), parse(t, tc.dst+":"+ours+suffix), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if res.MediaType != tc.wantType {
				t.Errorf("ferry wrote %s, want %s", res.MediaType, tc.wantType)
			}
			want, got := artifacts(t, tc.dst, theirs), artifacts(t, tc.dst, ours)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ferry's output differs from skopeo's (-skopeo +ferry):\n%s", diff)
			}
			if d := digest.FromBytes(res.Manifest).String(); !strings.Contains(strings.Join(values(got), "\n"), d) && tc.dst != "dir" {
				t.Errorf("the result's digest %s is not the image's", d)
			}
		})
	}
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestUmociUnpacksLayout: umoci, an OCI-only tool, unpacks the oci:
// layout ferry writes from a Docker image in a registry (it refused the
// Docker manifest ferry used to keep there).
func TestUmociUnpacksLayout(t *testing.T) {
	umoci := testenv.NeedCommand(t, "umoci")
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	dockerImage(t, reg, "docker", "1")
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	if _, err := copier.Copy(context.Background(), parse(t, "docker://"+reg.Ref("docker:1")), parse(t, "oci:"+layout+":t"), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	cmd := exec.Command(umoci, "unpack", "--rootless", "--image", layout+":t", bundle)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(filepath.Join(bundle, "rootfs"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("umoci unpacked an empty rootfs (%v)", err)
	}
	if b, err := os.ReadFile(filepath.Join(bundle, "config.json")); err != nil || !bytes.Contains(b, []byte(`"ociVersion"`)) {
		t.Errorf("no runtime config.json in the bundle: %v", err)
	}
}
