package serve

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/opencontainers/go-digest"
)

// writeTar writes members (name, bytes; in order) as an uncompressed tar.
func writeTar(t *testing.T, path string, members ...any) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(members); i += 2 {
		b := members[i+1].([]byte)
		if err := tw.WriteHeader(&tar.Header{Name: members[i].(string), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOCIArchive: an oci-archive (the tar of a layout) is served from
// the tar, blobs with ranges, and read-only.
func TestOCIArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rw := newTestServer(t, "oci:"+filepath.Join(dir, "layout"), Options{})
	img, m := rw.pushImage(t, "app", "1", "0123456789")
	rw.Close()
	rw.reg.Close()
	var members []any
	for _, name := range []string{"oci-layout", "index.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, "layout", name))
		members = append(members, name, b)
	}
	blobs, _ := filepath.Glob(filepath.Join(dir, "layout", "blobs", "sha256", "*"))
	for _, p := range blobs {
		b, _ := os.ReadFile(p)
		members = append(members, "blobs/sha256/"+filepath.Base(p), b)
	}
	archive := filepath.Join(dir, "images.tar")
	writeTar(t, archive, members...)

	s := newTestServer(t, "oci-archive:"+archive, Options{})
	if !s.reg.ReadOnly() {
		t.Error("an archive is served read-write")
	}
	resp, body := s.do(t, "GET", "/v2/app/manifests/1", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, m) || resp.Header.Get("Docker-Content-Digest") != img.String() {
		t.Fatalf("manifest: %s %s", resp.Status, body)
	}
	resp, body = s.do(t, "GET", "/v2/app/blobs/"+digest.FromString("0123456789").String(), nil, "Range", "bytes=3-5")
	if resp.StatusCode != 206 || string(body) != "345" {
		t.Errorf("range: %s %q", resp.Status, body)
	}
	resp, _ = s.do(t, "POST", "/v2/app/blobs/uploads/", nil)
	if resp.StatusCode != 405 {
		t.Errorf("push to an archive: %s", resp.Status)
	}
}

// TestDockerArchive: a docker save archive is served with the manifest
// ferry derives for it, under its RepoTags; a layer stored compressed is
// served as the uncompressed layer its digest names, ranges included.
func TestDockerArchive(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	plain, zipped := testimage.LayerTar(rng, 0, 3000), testimage.LayerTar(rng, 1, 70000)
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{digest.FromBytes(plain), digest.FromBytes(zipped)}}})
	cd := digest.FromBytes(cfg)
	mf, _ := json.Marshal([]map[string]any{{"Config": cd.Encoded() + ".json", "RepoTags": []string{"docker.io/library/sample:1"}, "Layers": []string{"a/layer.tar", "b/layer.tar"}}})
	archive := filepath.Join(t.TempDir(), "save.tar")
	writeTar(t, archive, "manifest.json", mf, cd.Encoded()+".json", cfg, "a/layer.tar", plain, "b/layer.tar", testimage.Gzip(zipped))

	s := newTestServer(t, "docker-archive:"+archive, Options{})
	for _, repo := range []string{"sample", "docker.io/library/sample"} {
		resp, body := s.do(t, "GET", "/v2/"+repo+"/manifests/1", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s:1: %s %s", repo, resp.Status, body)
		}
		want, _, err := derivedManifest(context.Background(), archive, 0)
		if err != nil || !bytes.Equal(body, want) {
			t.Errorf("%s:1 is not the manifest ferry derives: %s, %v", repo, body, err)
		}
	}
	for _, layer := range [][]byte{plain, zipped} {
		d := digest.FromBytes(layer)
		resp, body := s.do(t, "GET", "/v2/sample/blobs/"+d.String(), nil)
		if resp.StatusCode != 200 || digest.FromBytes(body) != d {
			t.Errorf("layer %s: %s, %d bytes of digest %s", d, resp.Status, len(body), digest.FromBytes(body))
		}
		resp, body = s.do(t, "GET", "/v2/sample/blobs/"+d.String(), nil, "Range", "bytes=1000-1999")
		if resp.StatusCode != 206 || !bytes.Equal(body, layer[1000:2000]) {
			t.Errorf("layer %s range: %s", d, resp.Status)
		}
	}
}

// TestOpenRefusals: a compressed whole archive is refused (not
// decompressed to disk), and so are a transport that is not served and a
// name that picks one image.
func TestOpenRefusals(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "images.tar.gz")
	if err := os.WriteFile(p, testimage.Gzip([]byte("tar")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"oci-archive:" + p, "docker-archive:" + p} {
		_, err := Open(context.Background(), name, Options{})
		if !errors.Is(err, errdefs.ErrNotSupported) {
			t.Errorf("%s: %v, want ErrNotSupported", name, err)
		}
	}
	if _, err := Open(context.Background(), "dir:"+p, Options{}); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("dir: %v, want ErrNotSupported", err)
	}
	if _, err := Open(context.Background(), "oci:"+p+":latest", Options{}); !errors.Is(err, errdefs.ErrInvalidReference) {
		t.Errorf("oci:PATH:REF: %v, want ErrInvalidReference", err)
	}
}
