// Package testregistry runs a real registry for tests: the handlers of
// github.com/distribution/distribution/v3 with filesystem storage in a
// temporary directory, behind
// net/http/httptest. Options add TLS with a throw-away CA (and client
// certificates), htpasswd Basic auth, Docker token auth with a token
// server of its own, and a blob endpoint that redirects to another host.
// Every request is recorded so tests can count what a client sent.
//
//	reg := testregistry.New(t, testregistry.Options{TLS: true, Basic: &testregistry.Creds{Username: "u", Password: "p"}})
//	reg.Push(t, "team/app", "v1", testimage.New(testimage.Options{}))
//	ref := "docker://" + reg.Ref("team/app:v1") // with CertDir: reg.CertDir(), or Insecure for plain HTTP
package testregistry

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Registered by name in the registry configuration below.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Creds is a user name and password.
type Creds struct {
	Username string
	Password string
}

// Options shapes a test registry. The zero value is an anonymous,
// plain-HTTP registry with deletes enabled.
type Options struct {
	// TLS serves HTTPS with a certificate from a CA only CertDir and
	// CAPEM know about.
	TLS bool
	// ClientCerts (implies TLS) demands a client certificate signed by
	// that CA; CertDir then holds client.cert and client.key as well.
	ClientCerts bool
	// Basic alone protects the registry with htpasswd Basic auth. With
	// Token, they are the credentials the token server accepts.
	Basic *Creds
	// Token protects the registry with Docker token auth, served by a
	// token server on its own port. Without Basic, anyone gets a token.
	Token bool
	// Redirect answers blob GETs with a 307 to a second server on
	// 127.0.0.2, the way registries send clients to a CDN.
	Redirect bool
	// RedirectHost is the address the redirect target listens on
	// ("127.0.0.2" by default; "127.0.0.1" puts it on the registry's host
	// with another port).
	RedirectHost string
	// NoDelete turns manifest and blob deletion off.
	NoDelete bool
	// Wrap, when set, wraps the registry handler (inside the request
	// recorder): the place for fault injection such as a 429 answered
	// once.
	Wrap func(http.Handler) http.Handler
}

// Request is one request the registry (or the redirect target) received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// Host is the host:port the request was addressed to.
	Host string
	// Authorization is true when the request carried that header.
	Authorization bool
	// UserAgent is the User-Agent header sent.
	UserAgent string
	// BodyBytes counts the request body bytes the server read.
	BodyBytes int64
	// Status is the status code answered.
	Status int
}

// Registry is a running test registry.
type Registry struct {
	// URL is "http://127.0.0.1:PORT" or "https://...".
	URL string

	opts     Options
	srv      *httptest.Server
	app      *handlers.App
	ca       *authority
	certDir  string
	tokens   *tokenServer
	tokenURL string
	redirect *httptest.Server
	client   *http.Client

	mu        sync.Mutex
	requests  []Request
	redirects []Request
}

var quiet sync.Once

// New starts a registry; t.Cleanup stops it.
func New(t testing.TB, o Options) *Registry {
	t.Helper()
	quiet.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
	if o.ClientCerts {
		o.TLS = true
	}
	r := &Registry{opts: o}
	if o.TLS {
		r.ca = newAuthority(t)
		r.certDir = r.ca.writeCertDir(t, o.ClientCerts)
	}

	// The filesystem driver, as real registries use: distribution's
	// inmemory driver grows a blob being written by exactly each write, so
	// pushing an n-byte blob copies O(n^2) bytes (a 9 MiB blob took a
	// minute of a loaded CI machine under -race), and it serializes every
	// request of the registry on one mutex.
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem":  configuration.Parameters{"rootdirectory": t.TempDir()},
			"delete":      configuration.Parameters{"enabled": !o.NoDelete},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	cfg.HTTP.Secret = "ferry-testregistry-secret"
	cfg.Log.AccessLog.Disabled = true
	cfg.Log.Level = "error"

	switch {
	case o.Token:
		var bundle string
		r.tokens, bundle = newTokenServer(t, o.Basic)
		ts := r.start(t, r.record(r.tokens, nil), "127.0.0.1:0")
		r.tokenURL = ts.URL + "/token"
		cfg.Auth = configuration.Auth{"token": configuration.Parameters{
			"realm": r.tokenURL, "service": tokenService, "issuer": tokenIssuer, "rootcertbundle": bundle,
		}}
	case o.Basic != nil:
		cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{
			"realm": "ferry-testregistry", "path": writeHtpasswd(t, o.Basic),
		}}
	}

	ctx, cancel := context.WithCancel(context.Background())
	r.app = handlers.NewApp(ctx, cfg)
	t.Cleanup(func() {
		_ = r.app.Shutdown()
		cancel()
	})

	var h http.Handler = r.app
	if o.Redirect {
		host := o.RedirectHost
		if host == "" {
			host = "127.0.0.2"
		}
		r.redirect = r.start(t, r.record(http.HandlerFunc(r.serveRedirected), &r.redirects), net.JoinHostPort(host, "0"))
		h = r.redirecting(h)
	}
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	r.srv = r.start(t, r.record(h, &r.requests), "127.0.0.1:0")
	r.URL = r.srv.URL

	tr := &http.Transport{Proxy: nil}
	if o.TLS {
		tr.TLSClientConfig = r.ca.clientTLS(t, o.ClientCerts)
	}
	r.client = &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	return r
}

// start serves h on addr, over TLS when the registry uses it.
func (r *Registry) start(t testing.TB, h http.Handler, addr string) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testregistry: listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(h)
	// TLS handshake failures are what some tests provoke: keep them quiet.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Listener.Close()
	s.Listener = l
	if r.opts.TLS {
		s.TLS = r.ca.serverTLS(t, r.opts.ClientCerts)
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// Host is the registry's "127.0.0.1:PORT", as used in image names.
func (r *Registry) Host() string {
	u, _ := url.Parse(r.URL)
	return u.Host
}

// Ref is "HOST/repo:tag" (or "HOST/repo@digest"), an image name in this registry.
func (r *Registry) Ref(repoAndTag string) string { return r.Host() + "/" + repoAndTag }

// CAPEM is the PEM of the CA that signed the TLS certificate (nil without TLS).
func (r *Registry) CAPEM() []byte {
	if r.ca == nil {
		return nil
	}
	return r.ca.pem
}

// CertDir is a Docker certs.d style directory for this registry: ca.crt,
// and client.cert + client.key with ClientCerts ("" without TLS).
func (r *Registry) CertDir() string { return r.certDir }

// TokenURL is the token server's realm ("" without Token).
func (r *Registry) TokenURL() string { return r.tokenURL }

// Requests lists what the registry received so far, in order.
func (r *Registry) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// RedirectRequests lists what the redirect target received.
func (r *Registry) RedirectRequests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.redirects...)
}

// TokenRequests lists what the token server answered.
func (r *Registry) TokenRequests() []TokenRequest {
	if r.tokens == nil {
		return nil
	}
	return r.tokens.requests()
}

// ResetRequests forgets the recorded requests (registry, redirect target
// and token server), so a test can count only what follows.
func (r *Registry) ResetRequests() {
	r.mu.Lock()
	r.requests, r.redirects = nil, nil
	r.mu.Unlock()
	if r.tokens != nil {
		r.tokens.mu.Lock()
		r.tokens.reqs = nil
		r.tokens.mu.Unlock()
	}
}

// HTTPClient is a client that trusts the registry's CA (and presents a
// client certificate when one is required), for tests that make raw calls.
func (r *Registry) HTTPClient() *http.Client { return r.client }

// record wraps h to append every request to *into (nil: only count body bytes).
func (r *Registry) record(h http.Handler, into *[]Request) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cb := &countingBody{ReadCloser: req.Body}
		if req.Body != nil {
			req.Body = cb
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, req)
		if into == nil {
			return
		}
		r.mu.Lock()
		*into = append(*into, Request{
			Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery, Host: req.Host,
			Authorization: req.Header.Get("Authorization") != "", UserAgent: req.UserAgent(),
			BodyBytes: cb.n, Status: sw.status,
		})
		r.mu.Unlock()
	})
}

// admin adds credentials that allow anything on repo, for the helper's own
// calls (Push, the redirect target).
func (r *Registry) admin(req *http.Request, repo string) error {
	switch {
	case r.tokens != nil:
		tok, err := r.tokens.mint("admin", tokenService, []string{"repository:" + repo + ":pull,push,delete"})
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case r.opts.Basic != nil:
		req.SetBasicAuth(r.opts.Basic.Username, r.opts.Basic.Password)
	}
	return nil
}

// MintToken signs a registry token granting scopes ("repository:NAME:pull,push"),
// as a user would pass with --registry-token. It needs Options.Token.
func (r *Registry) MintToken(t testing.TB, scopes ...string) string {
	t.Helper()
	if r.tokens == nil {
		t.Fatal("testregistry: MintToken needs Options.Token")
	}
	tok, err := r.tokens.mint("minted", tokenService, scopes)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	return tok
}

func writeHtpasswd(t testing.TB, c *Creds) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(c.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("testregistry: bcrypt: %v", err)
	}
	p := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte(fmt.Sprintf("%s:%s\n", c.Username, hash)), 0o600); err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	return p
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// splitBlobPath splits "/v2/NAME/blobs/DIGEST" (not uploads).
func splitBlobPath(p string) (name, dgst string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/blobs/")
	if i <= 0 {
		return "", "", false
	}
	name, dgst = rest[:i], rest[i+len("/blobs/"):]
	if dgst == "" || strings.Contains(dgst, "/") || strings.HasPrefix(dgst, "uploads") {
		return "", "", false
	}
	return name, dgst, true
}
