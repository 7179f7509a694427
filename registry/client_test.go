package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var alice = &testregistry.Creds{Username: "alice", Password: "correct-horse-battery"}

// TestAuthModes pushes and pulls an image through the client in each auth
// mode the registry offers, and checks no secret reaches the debug log.
func TestAuthModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		reg  testregistry.Options
		auth auth.Settings
	}{
		{"anonymous", testregistry.Options{}, auth.Settings{}},
		{"basic", testregistry.Options{Basic: alice}, auth.Settings{Username: alice.Username, Password: alice.Password}},
		{"token", testregistry.Options{Token: true, Basic: alice}, auth.Settings{Username: alice.Username, Password: alice.Password}},
		{"token-anonymous", testregistry.Options{Token: true}, auth.Settings{}},
		{"basic-tls", testregistry.Options{TLS: true, Basic: alice}, auth.Settings{Username: alice.Username, Password: alice.Password}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, tt.reg)
			var logs logBuffer
			o := &registry.Options{Auth: tt.auth, CertDir: reg.CertDir(), Logger: logs.logger(), UserAgent: "ferry/test"}
			c := newClient(t, reg, "team/app", o, registry.ForPush())
			img := testimage.New(testimage.Options{Seed: 11})
			pushImage(t, c, "team/app", "v1", img)

			ctx := context.Background()
			b, mt, d, err := c.GetManifest(ctx, "team/app", "v1")
			if err != nil {
				t.Fatalf("GetManifest: %v", err)
			}
			if !bytes.Equal(b, img.Manifest) || mt != img.MediaType || d != img.Digest {
				t.Fatalf("GetManifest: got type %q digest %s, want %q %s", mt, d, img.MediaType, img.Digest)
			}
			rc, err := c.GetBlob(ctx, "team/app", img.Layers[0])
			if err != nil {
				t.Fatalf("GetBlob: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, img.Blobs[img.Layers[0].Digest]) {
				t.Fatalf("GetBlob: got %d bytes (err %v), want the layer's %d", len(got), err, img.Layers[0].Size)
			}
			log := logs.String()
			if !strings.Contains(log, "registry request") {
				t.Errorf("debug log has no request lines:\n%s", log)
			}
			for _, secret := range []string{alice.Password, "Bearer ", "Basic ", "eyJ"} {
				if strings.Contains(log, secret) {
					t.Errorf("debug log contains %q:\n%s", secret, log)
				}
			}
			if tt.reg.Token {
				if n := len(reg.TokenRequests()); n != 1 {
					t.Errorf("token requests: got %d, want 1 (one push,pull token cached for every call)", n)
				}
			}
		})
	}
}

// TestTokenCacheAndScopeWidening reads twice with one pull token, then
// writes, which needs a new token with push added.
func TestTokenCacheAndScopeWidening(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: alice})
	img := testimage.New(testimage.Options{Seed: 12})
	reg.Push(t, "app", "1", img)
	reg.ResetRequests()

	c := newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{Username: alice.Username, Password: alice.Password}})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, _, _, err := c.GetManifest(ctx, "app", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutBlob(ctx, "app", ocispec.Descriptor{Digest: digest.FromString("x"), Size: 1}, strings.NewReader("x")); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if _, _, _, err := c.GetManifest(ctx, "app", "1"); err != nil {
		t.Fatal(err)
	}
	var scopes []string
	for _, tr := range reg.TokenRequests() {
		if !tr.Authenticated {
			t.Errorf("token request without credentials: %+v", tr)
		}
		scopes = append(scopes, strings.Join(tr.Scopes, " "))
	}
	want := []string{"repository:app:pull", "repository:app:pull,push"}
	if fmt.Sprint(scopes) != fmt.Sprint(want) {
		t.Fatalf("token scopes: got %q, want %q", scopes, want)
	}
}

// TestWrongPassword checks a refused login is ErrUnauthorized with a
// clear sentence that does not repeat the password.
func TestWrongPassword(t *testing.T) {
	t.Parallel()
	for _, mode := range []testregistry.Options{{Basic: alice}, {Token: true, Basic: alice}} {
		t.Run(fmt.Sprintf("token=%v", mode.Token), func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, mode)
			reg.Push(t, "app", "1", testimage.New(testimage.Options{}))
			c := newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{Username: "alice", Password: "hunter2-wrong"}})
			_, _, _, err := c.GetManifest(context.Background(), "app", "1")
			if !errors.Is(err, errdefs.ErrUnauthorized) {
				t.Fatalf("got %v, want ErrUnauthorized", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "invalid username or password") || !strings.Contains(msg, "authentication required") || strings.Contains(msg, "hunter2") {
				t.Fatalf("error %q: want \"invalid username or password\" and no password", msg)
			}
		})
	}
	t.Run("no-credentials", func(t *testing.T) {
		t.Parallel()
		reg := testregistry.New(t, testregistry.Options{Basic: alice})
		c := newClient(t, reg, "app", nil)
		_, _, _, err := c.GetManifest(context.Background(), "app", "1")
		if !errors.Is(err, errdefs.ErrUnauthorized) || !strings.Contains(err.Error(), "authentication required") {
			t.Fatalf("got %v, want ErrUnauthorized saying authentication required", err)
		}
	})
}

// TestNotFound covers a missing tag, repository and blob.
func TestNotFound(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "1", img)
	c := newClient(t, reg, "app", nil)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"tag", func() error { _, _, _, err := c.GetManifest(ctx, "app", "missing"); return err }},
		{"repository", func() error { _, _, _, err := c.GetManifest(ctx, "nope", "1"); return err }},
		{"digest", func() error { _, _, _, err := c.GetManifest(ctx, "app", digest.FromString("x").String()); return err }},
		{"blob", func() error {
			_, err := c.GetBlob(ctx, "app", ocispec.Descriptor{Digest: digest.FromString("x")})
			return err
		}},
		{"tags", func() error { _, err := c.Tags(ctx, "nope", 0); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", tt.name, err)
		}
	}
	ok, err := c.HeadBlob(ctx, "app", ocispec.Descriptor{Digest: digest.FromString("x")})
	if ok || err != nil {
		t.Errorf("HeadBlob of a missing blob: got %v, %v, want false, nil", ok, err)
	}
}

// TestTagPagination lists 250 tags in pages of 100, following Link.
func TestTagPagination(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "many", "t000", img)
	want := []string{"t000"}
	for i := 1; i < 250; i++ {
		tag := fmt.Sprintf("t%03d", i)
		reg.PutManifest(t, "many", tag, img.Manifest, img.MediaType)
		want = append(want, tag)
	}
	reg.ResetRequests()
	c := newClient(t, reg, "many", nil)
	got, err := c.Tags(context.Background(), "many", 100)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %d tags %v..., want %d", len(got), got[:min(3, len(got))], len(want))
	}
	if n := countRequests(reg.Requests(), http.MethodGet, "/tags/list"); n != 3 {
		t.Errorf("tag list requests: got %d, want 3 pages", n)
	}
}

// TestRedirectDropsAuthorization fetches a blob whose endpoint redirects
// to another host: the bytes arrive, the credentials do not travel.
func TestRedirectDropsAuthorization(t *testing.T) {
	t.Parallel()
	for _, mode := range []testregistry.Options{
		{Redirect: true, Basic: alice},
		{Redirect: true, Token: true, Basic: alice},
		// Same host, other port: Go's client alone would forward the
		// header there, since it compares host names only.
		{Redirect: true, RedirectHost: "127.0.0.1", Basic: alice},
	} {
		t.Run(fmt.Sprintf("token=%v,host=%s", mode.Token, mode.RedirectHost), func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, mode)
			img := testimage.New(testimage.Options{Seed: 5})
			reg.Push(t, "app", "1", img)
			c := newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{Username: alice.Username, Password: alice.Password}})
			l := img.Layers[1]
			rc, err := c.GetBlob(context.Background(), "app", l)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, img.Blobs[l.Digest]) {
				t.Fatalf("blob via redirect: %d bytes, err %v", len(got), err)
			}
			red := reg.RedirectRequests()
			if len(red) != 1 {
				t.Fatalf("redirect target got %d requests, want 1", len(red))
			}
			if red[0].Authorization {
				t.Fatalf("Authorization was forwarded to %s", red[0].Host)
			}
			blobGets := 0
			for _, r := range reg.Requests() {
				if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") {
					blobGets++
					if !r.Authorization {
						t.Errorf("registry blob GET without Authorization")
					}
				}
			}
			if blobGets != 1 {
				t.Errorf("registry blob GETs: got %d, want 1", blobGets)
			}
		})
	}
}

// TestRetries checks 429 (with Retry-After) and 503 answers are retried,
// for reads and for uploads; the faults are injected by a wrapper handler
// since a healthy registry never answers them.
func TestRetries(t *testing.T) {
	t.Parallel()
	isManifestGet := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/")
	}
	isUploadPut := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/")
	}
	isUploadPost := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/")
	}
	isManifestPut := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
	}
	tests := []struct {
		name   string
		match  func(*http.Request) bool
		status int
		after  string
	}{
		{"429-manifest-get", isManifestGet, http.StatusTooManyRequests, "1"},
		{"503-manifest-get", isManifestGet, http.StatusServiceUnavailable, ""},
		{"429-upload-put", isUploadPut, http.StatusTooManyRequests, "0"},
		{"502-manifest-put", isManifestPut, http.StatusBadGateway, ""},
		{"429-manifest-put", isManifestPut, http.StatusTooManyRequests, "0"},
		{"429-upload-post", isUploadPost, http.StatusTooManyRequests, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, testregistry.Options{Wrap: failOnce(tt.match, tt.status, tt.after)})
			c := newClient(t, reg, "app", nil, registry.ForPush())
			img := testimage.New(testimage.Options{Seed: 6})
			pushImage(t, c, "app", "1", img)
			b, _, _, err := c.GetManifest(context.Background(), "app", "1")
			if err != nil || !bytes.Equal(b, img.Manifest) {
				t.Fatalf("GetManifest after a %d: %v", tt.status, err)
			}
			failed := 0
			for _, r := range reg.Requests() {
				if r.Status == tt.status {
					failed++
				}
			}
			if failed != 1 {
				t.Errorf("requests answered %d: got %d, want 1", tt.status, failed)
			}
		})
	}
}

// TestRetriesRunOut checks a registry that keeps answering 429 ends in
// ErrTooManyRequests, and one that keeps failing in ErrUnavailable.
func TestRetriesRunOut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status int
		want   error
	}{{http.StatusTooManyRequests, errdefs.ErrTooManyRequests}, {http.StatusInternalServerError, errdefs.ErrUnavailable}} {
		always := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					w.WriteHeader(tt.status)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
		reg := testregistry.New(t, testregistry.Options{Wrap: always})
		c := newClient(t, reg, "app", nil)
		_, _, _, err := c.GetManifest(context.Background(), "app", "1")
		if !errors.Is(err, tt.want) {
			t.Errorf("status %d every time: got %v, want %v", tt.status, err, tt.want)
		}
		if n := countRequests(reg.Requests(), http.MethodGet, "/manifests/"); n != 4 {
			t.Errorf("status %d every time: %d attempts, want 4", tt.status, n)
		}
	}
}

// TestRegistryToken uses a bearer token given as is (--registry-token):
// no token service is asked.
func TestRegistryToken(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: alice})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "1", img)
	reg.ResetRequests()
	c := newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{BearerToken: reg.MintToken(t, "repository:app:pull")}})
	if _, _, _, err := c.GetManifest(context.Background(), "app", "1"); err != nil {
		t.Fatal(err)
	}
	if n := len(reg.TokenRequests()); n != 0 {
		t.Fatalf("token service asked %d times, want 0", n)
	}
	c = newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{BearerToken: "not-a-token"}})
	if _, _, _, err := c.GetManifest(context.Background(), "app", "1"); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("bad registry token: got %v, want ErrUnauthorized", err)
	}
}

// TestConcurrentUploads pushes many blobs at once through one client, as
// the copier does: one token serves them all, and the User-Agent is sent.
func TestConcurrentUploads(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: alice})
	c := newClient(t, reg, "many", &registry.Options{
		Auth:      auth.Settings{Username: alice.Username, Password: alice.Password},
		UserAgent: "ferry/9.9",
	}, registry.ForPush())
	ctx := context.Background()
	const n = 16
	errs := make(chan error, n)
	var want []digest.Digest
	for i := 0; i < n; i++ {
		size := 100 + i
		if i%4 == 0 {
			size = registry.MonolithicMax + i
		}
		b := randomBytes(size, int64(i))
		want = append(want, digest.FromBytes(b))
		go func() { errs <- c.PutBlob(ctx, "many", desc(b), bytes.NewReader(b)) }()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range want {
		if !reg.HasBlob(t, "many", d) {
			t.Fatalf("blob %s missing", d)
		}
	}
	if got := len(reg.TokenRequests()); got != 1 {
		t.Errorf("token requests: got %d, want 1", got)
	}
	for _, r := range reg.Requests() {
		if r.UserAgent != "ferry/9.9" && r.UserAgent != testregistry.HelperUserAgent {
			t.Errorf("%s %s: User-Agent %q, want ferry/9.9", r.Method, r.Path, r.UserAgent)
			break
		}
	}
}
