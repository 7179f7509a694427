package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registriesconf"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/registry/hints"
)

// Pool holds the registry sessions of a process, one per endpoint: its
// HTTP connections, the ping's result and auth challenge, a token cache
// per credential, the upload memory budget and what was learned about
// request sizes. It also holds one credential Finder per auth.Settings
// (files read and helpers run once) and one blob-location hints store.
// Clients made from it are cheap handles on a session; a sync of many
// images pays one ping and one token per host and scope, not per image.
//
// A Pool is safe for concurrent use. NewPool does no I/O; the first
// client of an endpoint reads its certificate directory, the first
// request looks up credentials and pings. Close releases connections and
// saves the hints once.
type Pool struct {
	log   *slog.Logger
	hints *hints.Store // nil: none recorded

	mu       sync.Mutex
	closed   bool
	sessions map[sessionKey]*hostSession
	finders  map[auth.Settings]*auth.Finder
}

// PoolOptions tune a Pool. The zero value records hints in
// hints.DefaultPath() and logs nothing.
type PoolOptions struct {
	// HintsPath is the file where blob locations and request size limits
	// are recorded across processes ("" for hints.DefaultPath()).
	HintsPath string
	// NoHints neither reads nor writes such a file.
	NoHints bool
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// NewPool returns an empty pool.
func NewPool(o PoolOptions) *Pool {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pool{log: log, sessions: map[sessionKey]*hostSession{}, finders: map[auth.Settings]*auth.Finder{}}
	if !o.NoHints {
		p.hints = hints.Open(o.HintsPath, log)
	}
	return p
}

// endpoint is where requests for a name go.
type endpoint struct {
	host     string // host[:port] serving the API
	domain   string // the name's domain as written (docker.io), for credentials and messages
	insecure bool   // registries.conf marks it insecure
}

// endpointFor is the endpoint serving name: the registry of its domain
// (Docker Hub names go to registry-1.docker.io), refused when
// registries.conf blocks it. A name pulled through mirrors is a list of
// names, one per mirror (registriesconf.Config.PullSources), each asking
// for its own client; sessions are keyed by endpoint, not by name, so a
// mirror's session is shared by every name it serves.
func endpointFor(name reference.Named, conf *registriesconf.Config) (endpoint, error) {
	insecure, err := conf.Endpoint(name)
	if err != nil {
		return endpoint{}, err
	}
	return endpoint{host: reference.RegistryHost(name), domain: reference.Domain(name), insecure: insecure}, nil
}

// sessionKey tells sessions apart: one host reached with other TLS
// settings or another User-Agent is another session. Credentials are not
// part of it: a session keeps one authenticator (and token cache) per
// credential.
type sessionKey struct {
	host      string
	insecure  bool
	certDir   string
	userAgent string
}

// hostSession is what a pool holds per endpoint, shared by every Client on
// it.
type hostSession struct {
	host     string
	insecure bool
	ua       string
	tr       *http.Transport
	hc       *http.Client
	hints    *hints.Store
	push     pushState
	blobs    blobGate

	pingMu     sync.Mutex
	base       string // "https://host" once pinged
	challenges []auth.Challenge
	// signaturesAPI: the ping answered X-Registry-Supports-Signatures: 1
	// (see signatures.go).
	signaturesAPI bool

	authsMu sync.Mutex
	auths   map[auth.Credential]*auth.Authenticator
}

// Client returns a handle for name's repository on the registry serving
// it, sharing the pool's session for that endpoint (made on first use:
// the TLS configuration is read then). Closing the handle releases
// nothing; the pool does.
func (p *Pool) Client(name reference.Named, o *Options, opts ...Option) (*Client, error) {
	if o == nil {
		o = &Options{}
	}
	ep, err := endpointFor(name, o.Registries)
	if err != nil {
		return nil, err
	}
	log := o.log()
	s, f, err := p.session(ep, o, log)
	if err != nil {
		return nil, err
	}
	c := &Client{
		hostSession: s, finder: f,
		domain: ep.domain, repo: reference.Path(name),
		log:     log,
		actions: []string{auth.ActionPull},
		retry:   defaultRetry,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// session returns the session for ep as o reaches it, and the credential
// finder for o.Auth, making them on first use.
func (p *Pool) session(ep endpoint, o *Options, log *slog.Logger) (*hostSession, *auth.Finder, error) {
	ua := o.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	k := sessionKey{host: ep.host, insecure: o.Insecure || ep.insecure, certDir: o.CertDir, userAgent: ua}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errors.New("registry pool used after Close")
	}
	f := p.finders[o.Auth]
	if f == nil {
		f = auth.NewFinder(o.Auth, log)
		p.finders[o.Auth] = f
	}
	if s := p.sessions[k]; s != nil {
		return s, f, nil
	}
	tc, err := tlsConfig(ep.host, o.CertDir, k.insecure, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ep.domain, err)
	}
	tr := newTransport(tc)
	s := &hostSession{
		host: ep.host, insecure: k.insecure, ua: ua,
		tr: tr, hc: &http.Client{Transport: tr, CheckRedirect: checkRedirect},
		hints: p.hints,
		auths: map[auth.Credential]*auth.Authenticator{},
	}
	p.sessions[k] = s
	return s, f, nil
}

// authenticator is the session's authenticator for cred, made on first
// use with the challenge the ping found; domain names the registry in its
// errors.
func (s *hostSession) authenticator(domain string, cred auth.Credential, log *slog.Logger) *auth.Authenticator {
	s.authsMu.Lock()
	defer s.authsMu.Unlock()
	a := s.auths[cred]
	if a == nil {
		a = auth.NewAuthenticator(domain, cred, s.hc, s.ua, log)
		s.pingMu.Lock()
		if len(s.challenges) > 0 {
			a.SetChallenges(s.challenges)
		}
		s.pingMu.Unlock()
		s.auths[cred] = a
	}
	return a
}

// Close releases every session's idle connections and saves the hints
// learned (a failure to save them is logged, not returned: they are only
// hints). Clients of a closed pool must not be used; Close is idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	sessions := p.sessions
	p.mu.Unlock()
	for _, s := range sessions {
		s.tr.CloseIdleConnections()
	}
	if p.hints != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.hints.Save(ctx); err != nil {
			p.log.Debug("registry hints not saved", "error", err)
		}
	}
	return nil
}
