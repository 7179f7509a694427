package registry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// failingReader returns its bytes, then err instead of io.EOF.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestPutBlob covers monolithic and streamed uploads, and that content
// that is wrong in any way is never committed.
func TestPutBlob(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	small := randomBytes(1000, 1)
	large := randomBytes(registry.MonolithicMax+4097, 2)
	errBroken := errors.New("source connection dropped")
	tests := []struct {
		name    string
		content []byte // what the blob should be
		desc    ocispec.Descriptor
		reader  func() io.Reader
		wantErr error // nil: stored
		patches int   // PATCH requests expected (streamed uploads)
	}{
		{"small", small, desc(small), func() io.Reader { return bytes.NewReader(small) }, nil, 0},
		{"large", large, desc(large), func() io.Reader { return bytes.NewReader(large) }, nil, 1},
		{"large-unknown-size", large, ocispec.Descriptor{Digest: digest.FromBytes(large), Size: -1}, func() io.Reader { return bytes.NewReader(large) }, nil, 1},
		{"small-wrong-digest", small, ocispec.Descriptor{Digest: digest.FromString("other"), Size: int64(len(small))}, func() io.Reader { return bytes.NewReader(small) }, errdefs.ErrDigestMismatch, 0},
		{"large-wrong-digest", large, ocispec.Descriptor{Digest: digest.FromString("other"), Size: int64(len(large))}, func() io.Reader { return bytes.NewReader(large) }, errdefs.ErrDigestMismatch, 1},
		{"large-short", large, ocispec.Descriptor{Digest: digest.FromBytes(large), Size: int64(len(large)) + 5}, func() io.Reader { return bytes.NewReader(large) }, errdefs.ErrSizeMismatch, 1},
		{"large-read-fails", large, desc(large), func() io.Reader {
			return &failingReader{r: bytes.NewReader(large[:registry.MonolithicMax+2048]), err: errBroken}
		}, errBroken, 1},
		{"small-read-fails", small, desc(small), func() io.Reader {
			return &failingReader{r: bytes.NewReader(small[:10]), err: errBroken}
		}, errBroken, 0},
		{"large-verifier-fails-at-end", large, desc(large), func() io.Reader {
			// What the copier hands over: a verifying reader whose
			// source bytes do not match the descriptor.
			bad := append([]byte(nil), large...)
			bad[len(bad)-1] ^= 1
			v, _ := verify.NewReader(bytes.NewReader(bad), digest.FromBytes(large), int64(len(large)))
			return v
		}, errdefs.ErrDigestMismatch, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := "blobs/" + strings.ReplaceAll(tt.name, "-", "")
			c := newClient(t, reg, repo, nil, registry.ForPush())
			reg.ResetRequests()
			err := c.PutBlob(context.Background(), repo, tt.desc, tt.reader())
			if tt.wantErr == nil && err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob: got %v, want %v", err, tt.wantErr)
			}
			reqs := reg.Requests()
			// A PATCH the client abandoned may still be in the
			// server's handler, unrecorded: count only on success.
			if n := countRequests(reqs, http.MethodPatch, "/blobs/uploads/"); tt.wantErr == nil && n != tt.patches {
				t.Errorf("PATCH requests: got %d, want %d", n, tt.patches)
			}
			stored := reg.HasBlob(t, repo, digest.FromBytes(tt.content)) || reg.HasBlob(t, repo, tt.desc.Digest)
			if stored != (tt.wantErr == nil) {
				t.Errorf("blob stored: got %v, want %v", stored, tt.wantErr == nil)
			}
			if tt.wantErr != nil && tt.patches > 0 {
				if n := countRequests(reqs, http.MethodDelete, "/blobs/uploads/"); n != 1 {
					t.Errorf("upload session cancelled %d times, want 1", n)
				}
			}
			if tt.wantErr == nil {
				rc, err := c.GetBlob(context.Background(), repo, ocispec.Descriptor{Digest: digest.FromBytes(tt.content)})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, tt.content) {
					t.Fatalf("read back %d bytes that differ from the %d uploaded", len(got), len(tt.content))
				}
			}
		})
	}
}

func desc(b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// TestPutBlobStream uploads content of unknown digest and size.
func TestPutBlobStream(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true})
	c := newClient(t, reg, "stream", nil, registry.ForPush())
	for _, n := range []int{0, 10, registry.MonolithicMax + 1} {
		content := randomBytes(n, int64(n))
		d, err := c.PutBlobStream(context.Background(), "stream", "application/x-test", bytes.NewReader(content))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		want := ocispec.Descriptor{MediaType: "application/x-test", Digest: digest.FromBytes(content), Size: int64(n)}
		if d.Digest != want.Digest || d.Size != want.Size || d.MediaType != want.MediaType {
			t.Fatalf("%d bytes: got %+v, want %+v", n, d, want)
		}
		if !reg.HasBlob(t, "stream", d.Digest) {
			t.Fatalf("%d bytes: blob not stored", n)
		}
	}
}

// TestMountBlob mounts a blob across repositories: no blob bytes travel.
func TestMountBlob(t *testing.T) {
	t.Parallel()
	for _, mode := range []testregistry.Options{{}, {Token: true, Basic: alice}} {
		t.Run(map[bool]string{false: "anonymous", true: "token"}[mode.Token], func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, mode)
			img := testimage.New(testimage.Options{Seed: 31})
			reg.Push(t, "src/app", "1", img)
			reg.ResetRequests()
			c := newClient(t, reg, "dst/app", &registry.Options{Auth: auth.Settings{Username: alice.Username, Password: alice.Password}}, registry.ForPush())
			ctx := context.Background()
			for _, l := range img.Layers {
				ok, err := c.MountBlob(ctx, "dst/app", "src/app", l)
				if err != nil || !ok {
					t.Fatalf("MountBlob %s: %v, %v; want true, nil", l.Digest, ok, err)
				}
				if !reg.HasBlob(t, "dst/app", l.Digest) {
					t.Fatalf("mounted blob %s missing", l.Digest)
				}
			}
			ok, err := c.MountBlob(ctx, "dst/app", "src/app", ocispec.Descriptor{Digest: digest.FromString("absent")})
			if ok || err != nil {
				t.Fatalf("MountBlob of an absent blob: got %v, %v; want false, nil", ok, err)
			}
			var bodyBytes int64
			for _, r := range reg.Requests() {
				if r.Method == http.MethodPatch || r.Method == http.MethodPut {
					bodyBytes += r.BodyBytes
				}
			}
			if bodyBytes != 0 {
				t.Errorf("mounting sent %d blob bytes, want 0", bodyBytes)
			}
			if mode.Token {
				found := false
				for _, tr := range reg.TokenRequests() {
					got := strings.Join(tr.Scopes, " ")
					found = found || got == "repository:dst/app:pull,push repository:src/app:pull"
				}
				if !found {
					t.Errorf("token requests %+v: none for pull,push on dst/app and pull on src/app", reg.TokenRequests())
				}
			}
		})
	}
}

// TestGetBlobRange reads parts of a blob.
func TestGetBlobRange(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	content := randomBytes(5000, 3)
	d := reg.PutBlob(t, "r", content)
	c := newClient(t, reg, "r", nil)
	for _, tt := range []struct{ start, end int64 }{{0, 9}, {10, 19}, {4990, -1}, {0, -1}, {4999, 4999}} {
		rc, err := c.GetBlobRange(context.Background(), "r", ocispec.Descriptor{Digest: d, Size: 5000}, tt.start, tt.end)
		if err != nil {
			t.Fatalf("range %d-%d: %v", tt.start, tt.end, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		end := tt.end + 1
		if tt.end < 0 {
			end = int64(len(content))
		}
		if !bytes.Equal(got, content[tt.start:end]) {
			t.Errorf("range %d-%d: got %d bytes, want %d", tt.start, tt.end, len(got), end-tt.start)
		}
	}
	// A registry that ignores Range (a fault injected by a wrapper that
	// drops the header): the whole blob comes back with ErrRangeIgnored.
	noRange := testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Range")
			h.ServeHTTP(w, r)
		})
	}})
	noRange.PutBlob(t, "r", content)
	rc, err := newClient(t, noRange, "r", nil).GetBlobRange(context.Background(), "r", ocispec.Descriptor{Digest: d}, 10, 19)
	if !errors.Is(err, registry.ErrRangeIgnored) || !errors.Is(err, errdefs.ErrNotSupported) || rc == nil {
		t.Fatalf("range ignored: got %v, want ErrRangeIgnored with the body", err)
	}
	whole, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(whole, content) {
		t.Fatalf("range ignored: body of %d bytes, want the whole %d", len(whole), len(content))
	}
	if _, err := c.GetBlobRange(context.Background(), "r", ocispec.Descriptor{Digest: d}, 10, 5); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("inverted range: got %v, want ErrInvalidArgument", err)
	}
}

// TestManifestVerified serves a manifest whose bytes were altered in
// transit (a fault injected by a wrapper: a real registry does not
// corrupt its content): by digest it must fail, by tag the digest
// returned is that of the bytes received.
func TestManifestVerified(t *testing.T) {
	t.Parallel()
	corrupt := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/manifests/") {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b = bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion": 2`), 1)
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(b)
		})
	}
	reg := testregistry.New(t, testregistry.Options{Wrap: corrupt})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "1", img)
	c := newClient(t, reg, "app", nil)
	_, _, _, err := c.GetManifest(context.Background(), "app", img.Digest.String())
	if !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("altered manifest by digest: got %v, want ErrDigestMismatch", err)
	}
	b, _, d, err := c.GetManifest(context.Background(), "app", "1")
	if err != nil {
		t.Fatal(err)
	}
	if d != digest.FromBytes(b) || d == img.Digest {
		t.Fatalf("by tag: digest %s, want the digest of the bytes received", d)
	}
}

// TestDeleteManifest deletes by tag and by digest, and reports a registry
// with deletes disabled as ErrNotSupported.
func TestDeleteManifest(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "1", img)
	reg.PutManifest(t, "app", "2", img.Manifest, img.MediaType)
	c := newClient(t, reg, "app", nil, registry.ForPush())
	ctx := context.Background()
	if err := c.DeleteManifest(ctx, "app", "1"); err != nil {
		t.Fatalf("delete tag: %v", err)
	}
	if _, _, ok := reg.Manifest(t, "app", "1"); ok {
		t.Fatal("tag 1 still there")
	}
	if _, _, ok := reg.Manifest(t, "app", "2"); !ok {
		t.Fatal("deleting tag 1 removed tag 2")
	}
	if err := c.DeleteManifest(ctx, "app", img.Digest.String()); err != nil {
		t.Fatalf("delete digest: %v", err)
	}
	if _, _, ok := reg.Manifest(t, "app", img.Digest.String()); ok {
		t.Fatal("manifest still there")
	}

	ro := testregistry.New(t, testregistry.Options{NoDelete: true})
	ro.Push(t, "app", "1", img)
	c = newClient(t, ro, "app", nil, registry.ForPush())
	if err := c.DeleteManifest(ctx, "app", img.Digest.String()); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Fatalf("delete with deletes disabled: got %v, want ErrNotSupported", err)
	}
}

// pieceSizes reads from r and records the largest buffer it was given.
type pieceSizes struct {
	r       io.Reader
	largest int
}

func (p *pieceSizes) Read(b []byte) (int, error) {
	p.largest = max(p.largest, len(b))
	return p.r.Read(b)
}

// TestPutBlobReadsLargePieces: over plain HTTP, the body of a streamed
// upload is read in pieces of 128 KiB, not net/http's 32 KiB (bulkConn),
// and arrives whole.
func TestPutBlobReadsLargePieces(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	content := randomBytes(4<<20+7, 3)
	c := newClient(t, reg, "blobs/pieces", nil, registry.ForPush())
	src := &pieceSizes{r: bytes.NewReader(content)}
	if err := c.PutBlob(context.Background(), "blobs/pieces", desc(content), src); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if src.largest != 128<<10 {
		t.Errorf("the body was read in pieces of up to %d bytes, want %d", src.largest, 128<<10)
	}
	rc, err := c.GetBlob(context.Background(), "blobs/pieces", desc(content))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes that differ from the %d uploaded", len(got), len(content))
	}
}
