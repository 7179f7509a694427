package dockerarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
)

// docker25Archive lays l out as Docker 25 and later save it: blobs named
// by digest (layers uncompressed) beside an OCI index.json.
func docker25Archive(t *testing.T, l *legacyImage, tag string) []byte {
	t.Helper()
	var members []tartest.Member
	var paths []string
	for _, layer := range l.Layers {
		p := "blobs/sha256/" + digest.FromBytes(layer).Encoded()
		paths = append(paths, p)
		members = append(members, tartest.File(p, layer))
	}
	cfg := "blobs/sha256/" + digest.FromBytes(l.Config).Encoded()
	members = append(members, tartest.File(cfg, l.Config),
		tartest.File("index.json", []byte(`{"schemaVersion":2,"manifests":[]}`)),
		tartest.File("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)))
	mj, _ := json.Marshal([]map[string]any{{"Config": cfg, "RepoTags": []string{tag}, "Layers": paths}})
	return tartest.Tar(t, append(members, tartest.File("manifest.json", mj))...)
}

// TestStdinToRegistry: `docker save` output of Docker 20.10 (ID/layer.tar
// uncompressed, manifest.json last) and of Docker 25+ (blobs/sha256/HEX),
// piped into a copy to a registry. The registry wants compressed layers,
// so they are gzipped as they pass: the stream cannot be read twice (this
// failed with "blob ... is gone"). The pushed image's layers decompress
// to the archive's, and its config's diff IDs are the archive's.
func TestStdinToRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{})
	l := newLegacySized(t, 61, []int{300 << 10, 100, 200 << 10}, "app:1")
	for name, raw := range map[string][]byte{
		"legacy":    legacyArchive(t, l),
		"docker25":  docker25Archive(t, l, "app:1"),
		"gzip'd 25": tartest.Gzip(t, docker25Archive(t, l, "app:1")),
	} {
		t.Run(name, func(t *testing.T) {
			repo := "stdin/" + map[string]string{"legacy": "legacy", "docker25": "d25", "gzip'd 25": "gz"}[name]
			dst, err := plainHTTPRef(reg.Ref(repo + ":1"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = copier.Copy(ctx, parse(t, "-"), dst, copier.Options{
				Source:      transport.Options{Stdin: bytes.NewReader(raw), TmpDir: t.TempDir()},
				Destination: transport.Options{},
			})
			if err != nil {
				t.Fatal(err)
			}
			src, err := dst.NewSource(ctx, &transport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := readImage(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if got.Image.Config.Digest != digest.FromBytes(l.Config) {
				t.Errorf("config %s, want the archive's", got.Image.Config.Digest)
			}
			for i, d := range got.Image.Layers {
				if !manifest.IsCompressedLayer(d.MediaType) {
					t.Errorf("layer %d is %s, want it compressed for the registry", i, d.MediaType)
				}
				if !bytes.Equal(gunzip(t, got.Blobs[d.Digest]), l.Layers[i]) {
					t.Errorf("layer %d does not decompress to the archive's layer", i)
				}
			}
		})
	}
}

// plainHTTPRef names an image in the plain-HTTP registry of a test.
func plainHTTPRef(name string) (transport.Reference, error) {
	return docker.New(docker.Config{Insecure: true}).ParseReference("//" + name)
}
