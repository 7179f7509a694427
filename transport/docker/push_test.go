package docker_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const mib = 1 << 20

// bodyLimit is a fake for a proxy in front of the registry (nginx's
// client_max_body_size, Cloudflare's request limit) that answers 413 to a
// request body over limit bytes: at once when Content-Length says so,
// after reading limit+1 bytes otherwise. It buffers what it lets through,
// as such proxies do, and records the largest body forwarded.
type bodyLimit struct {
	limit   int64
	mu      sync.Mutex
	largest int64
	refused int
	patches int
}

func (b *bodyLimit) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch && r.Method != http.MethodPut && r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		refuse := r.ContentLength > b.limit
		var body []byte
		if !refuse {
			var err error
			if body, err = io.ReadAll(io.LimitReader(r.Body, b.limit+1)); err != nil {
				return
			}
			refuse = int64(len(body)) > b.limit
		}
		b.mu.Lock()
		if refuse {
			b.refused++
		} else {
			b.largest = max(b.largest, int64(len(body)))
			if r.Method == http.MethodPatch {
				b.patches++
			}
		}
		b.mu.Unlock()
		if refuse {
			w.Header().Set("Connection", "close")
			http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

// hintOpts are opts(reg) with the hint record in a file of the test's own.
func hintOpts(t *testing.T, reg *testregistry.Registry) *docker.Config {
	o := opts(reg)
	o.NoRegistryHints = false
	o.RegistryHints = filepath.Join(t.TempDir(), "hints.json")
	return o
}

// blobBytesUploaded sums the blob bytes the registry received (PATCH and
// blob PUT bodies) and counts the mounts it made.
func blobBytesUploaded(reqs []testregistry.Request) (bytes int64, mounts int) {
	for _, r := range reqs {
		if r.Method == http.MethodPatch || (r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/")) {
			bytes += r.BodyBytes
		}
		if r.Method == http.MethodPost && strings.Contains(r.RawQuery, "mount=") && r.Status == http.StatusCreated {
			mounts++
		}
	}
	return bytes, mounts
}

// TestPushThroughBodyLimit pushes an image with a 30 MiB layer through a
// proxy that refuses bodies over 8 MiB: the layer goes in chunks none of
// which exceeds the limit, and real skopeo pulls it back byte for byte.
func TestPushThroughBodyLimit(t *testing.T) {
	t.Parallel()
	proxy := &bodyLimit{limit: 8 * mib}
	reg := testregistry.New(t, testregistry.Options{Wrap: proxy.wrap})
	img := bigImage(t, 30*mib)
	src, dst := open(t, ref(t, reg, "big/app:1"), opts(reg))
	if err := img.Write(context.Background(), dst); err != nil {
		t.Fatalf("push: %v", err)
	}
	checkImage(t, src, img, false)
	proxy.mu.Lock()
	largest, refused, patches := proxy.largest, proxy.refused, proxy.patches
	proxy.mu.Unlock()
	if largest > proxy.limit || refused == 0 || patches < 4 {
		t.Fatalf("proxy: largest body %d (limit %d), %d refused, %d chunks; want none over, some refused, at least 4 chunks",
			largest, proxy.limit, refused, patches)
	}

	t.Run("skopeo-pulls", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		skopeo(t, "copy", "--src-tls-verify=false", "docker://"+reg.Ref("big/app:1"), "dir:"+out)
		for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
			b, err := os.ReadFile(filepath.Join(out, d.Digest.Encoded()))
			if err != nil || !bytes.Equal(b, img.Blobs[d.Digest]) {
				t.Fatalf("skopeo's copy of blob %s: %d bytes, %v", d.Digest, len(b), err)
			}
		}
	})
}

// bigImage is an OCI image whose one layer holds a file of size random
// bytes, gzipped without compression so the layer is larger still.
func bigImage(t *testing.T, size int) *testimage.Image {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	if err := tw.WriteHeader(&tar.Header{Name: "big.bin", Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, rand.New(rand.NewSource(int64(size))), int64(size)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.NoCompression)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	cfg, _ := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tarBuf.Bytes())}},
	})
	img := &testimage.Image{MediaType: ocispec.MediaTypeImageManifest, Blobs: map[digest.Digest][]byte{}}
	img.Config = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	img.Blobs[img.Config.Digest] = cfg
	layer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}
	img.Blobs[layer.Digest] = gz.Bytes()
	img.Layers = []ocispec.Descriptor{layer}
	m := ocispec.Manifest{MediaType: img.MediaType, Config: img.Config, Layers: img.Layers}
	m.SchemaVersion = 2
	img.Manifest, _ = json.Marshal(m)
	img.Digest = digest.FromBytes(img.Manifest)
	return img
}

// TestMountFromHints: blobs a copy pushed (or pulled) are mounted by a
// later copy to another repository of the same registry, whatever that
// copy's source: no blob byte travels.
func TestMountFromHints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{Seed: 61})
	ociRef := func(t *testing.T) transport.Reference {
		r, err := layout.Transport.ParseReference(filepath.Join(t.TempDir(), "oci") + ":1")
		if err != nil {
			t.Fatal(err)
		}
		dst, err := r.NewDestination(ctx, &transport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		if err := img.Write(ctx, dst); err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		// seed records img's blobs in the registry and the hint file.
		seed func(t *testing.T, reg *testregistry.Registry, o *docker.Config)
	}{
		{"pushed-from-dir", func(t *testing.T, reg *testregistry.Registry, o *docker.Config) {
			r, err := dir.Transport.ParseReference(filepath.Join(t.TempDir(), "dir"))
			if err != nil {
				t.Fatal(err)
			}
			dst, err := r.NewDestination(ctx, &transport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if err := img.Write(ctx, dst); err != nil {
				t.Fatal(err)
			}
			if _, err := copier.Copy(ctx, r, with(t, o, ref(t, reg, "team/a:1")), copier.Options{}); err != nil {
				t.Fatalf("copy dir -> team/a: %v", err)
			}
		}},
		{"pulled", func(t *testing.T, reg *testregistry.Registry, o *docker.Config) {
			reg.Push(t, "upstream/a", "1", img) // not through ferry: no hint yet
			out, err := layout.Transport.ParseReference(filepath.Join(t.TempDir(), "pulled") + ":1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := copier.Copy(ctx, with(t, o, ref(t, reg, "upstream/a:1")), out, copier.Options{}); err != nil {
				t.Fatalf("pull upstream/a: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, testregistry.Options{Token: true, Basic: bob})
			o := hintOpts(t, reg)
			o.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
			tt.seed(t, reg, o)
			src := ociRef(t)
			reg.ResetRequests()
			if _, err := copier.Copy(ctx, src, with(t, o, ref(t, reg, "team/b:1")), copier.Options{}); err != nil {
				t.Fatalf("copy oci -> team/b: %v", err)
			}
			uploaded, mounts := blobBytesUploaded(reg.Requests())
			if uploaded != 0 || mounts != 1+len(img.Layers) {
				t.Fatalf("%d blob bytes uploaded, %d mounts; want 0 and %d", uploaded, mounts, 1+len(img.Layers))
			}
			s, _ := open(t, ref(t, reg, "team/b:1"), o)
			checkImage(t, s, img, false)
		})
	}
}

// TestMountNotSupported: a registry that answers 202 to every mount (it
// opens an upload session instead, as registries without cross-repository
// mounts do; a wrapper drops the mount parameters) still gets the image,
// each session so opened is cancelled, and a stale hint is forgotten.
func TestMountNotSupported(t *testing.T) {
	t.Parallel()
	var mountPosts atomic.Int32
	noMount := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Query().Has("mount") {
				mountPosts.Add(1)
				r.URL.RawQuery = ""
			}
			h.ServeHTTP(w, r)
		})
	}
	reg := testregistry.New(t, testregistry.Options{Wrap: noMount})
	o := hintOpts(t, reg)
	img := testimage.New(testimage.Options{Seed: 62})
	ctx := context.Background()
	_, dst := open(t, ref(t, reg, "team/a:1"), o)
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	dst.Close() // saves the hints

	reg.ResetRequests()
	s, dst := open(t, ref(t, reg, "team/b:1"), o)
	m := dst.(transport.BlobMounter)
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if ok, err := m.MountBlob(ctx, d, nil); ok || err != nil {
			t.Fatalf("MountBlob %s: %v, %v; want false, nil", d.Digest, ok, err)
		}
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("push after refused mounts: %v", err)
	}
	checkImage(t, s, img, false)
	posts, deletes := int(mountPosts.Load()), 0
	for _, r := range reg.Requests() {
		if r.Method == http.MethodDelete && strings.Contains(r.Path, "/blobs/uploads/") {
			deletes++
		}
	}
	if posts != 1+len(img.Layers) || deletes != posts {
		t.Fatalf("%d mount requests and %d sessions cancelled, want %d of each", posts, deletes, 1+len(img.Layers))
	}
	// The refused hints were forgotten: no mount is tried again.
	mountPosts.Store(0)
	if ok, err := m.MountBlob(ctx, img.Layers[0], nil); ok || err != nil {
		t.Fatalf("MountBlob: %v, %v", ok, err)
	}
	if n := mountPosts.Load(); n != 0 {
		t.Fatalf("%d mounts from forgotten hints were tried, want 0", n)
	}
}

// TestManifestTypeRefused: a registry that refuses a manifest's media type
// yields a *transport.ManifestTypeError naming it (errdefs.ErrNotSupported),
// so the copier can try the other format. The refusals are fakes (a
// wrapper) in the words of registries without OCI support; the in-process
// registry takes every type ferry writes.
func TestManifestTypeRefused(t *testing.T) {
	t.Parallel()
	refuseOCI := func(status int, body string) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") &&
					strings.HasPrefix(r.Header.Get("Content-Type"), "application/vnd.oci.") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					io.WriteString(w, body)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
	}
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"415", http.StatusUnsupportedMediaType, ``},
		{"manifest-invalid-detail", http.StatusBadRequest,
			`{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{"message":"manifest schema version not supported"}}]}`},
		{"manifest-invalid-message", http.StatusBadRequest,
			`{"errors":[{"code":"MANIFEST_INVALID","message":"unsupported manifest media type and no default available: application/vnd.oci.image.manifest.v1+json"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, testregistry.Options{Wrap: refuseOCI(tt.status, tt.body)})
			ctx := context.Background()
			oci := testimage.New(testimage.Options{Seed: 63})
			_, dst := open(t, ref(t, reg, "app:oci"), opts(reg))
			err := oci.Write(ctx, dst)
			var mte *transport.ManifestTypeError
			if !errors.As(err, &mte) || mte.MediaType != oci.MediaType || !errors.Is(err, errdefs.ErrNotSupported) {
				t.Fatalf("OCI manifest: got %v, want a ManifestTypeError for %s", err, oci.MediaType)
			}
			docker := testimage.New(testimage.Options{Seed: 63, Docker: true})
			_, dst = open(t, ref(t, reg, "app:docker"), opts(reg))
			if err := docker.Write(ctx, dst); err != nil {
				t.Fatalf("Docker manifest: %v", err)
			}
			// A copy may convert: it writes the Docker format instead.
			src, err := layout.Transport.ParseReference(filepath.Join(t.TempDir(), "oci") + ":1")
			if err != nil {
				t.Fatal(err)
			}
			ldst, err := src.NewDestination(ctx, &transport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := oci.Write(ctx, ldst); err != nil {
				t.Fatal(err)
			}
			ldst.Close()
			res, err := copier.Copy(ctx, src, with(t, opts(reg), ref(t, reg, "app:copied")), copier.Options{})
			if err != nil || res.MediaType == oci.MediaType {
				t.Fatalf("copy to a registry refusing OCI: %v (type %v), want the Docker format written", err, res)
			}
		})
	}
	// A refusal for another reason is not a type refusal.
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 64})
	_, dst := open(t, ref(t, reg, "app:1"), opts(reg))
	err := dst.PutManifest(context.Background(), img.Manifest, img.MediaType, nil) // blobs missing
	var mte *transport.ManifestTypeError
	if err == nil || errors.As(err, &mte) || errors.Is(err, errdefs.ErrNotSupported) {
		t.Fatalf("manifest with missing blobs: got %v, want a plain refusal", err)
	}
}

// TestChunkSizeOption: Options.ChunkSize (--dest-chunk-size) makes the
// destination send a blob in chunks of that size, in order.
func TestChunkSizeOption(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ranges []string
	rec := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				mu.Lock()
				ranges = append(ranges, r.Header.Get("Content-Range"))
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	reg := testregistry.New(t, testregistry.Options{Wrap: rec})
	o := opts(reg)
	o.ChunkSize = mib
	content := bytes.Repeat([]byte("0123456789abcdef"), 3*mib/16+1000)
	_, dst := open(t, ref(t, reg, "app:1"), o)
	d := ocispec.Descriptor{Digest: digest.FromBytes(content), Size: int64(len(content))}
	if err := dst.PutBlob(context.Background(), d, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	want := []string{"0-1048575", "1048576-2097151", "2097152-3145727", "3145728-3161727"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(ranges, " ") != strings.Join(want, " ") {
		t.Fatalf("Content-Range of the chunks: got %q, want %q", ranges, want)
	}
}
