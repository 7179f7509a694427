// Package registry is a client for the OCI distribution spec 1.1 and
// Docker's Registry HTTP API v2: ping, auth, manifests, blobs (with
// ranges), uploads (monolithic, streamed, chunked with resume,
// cross-repository mounts), tag lists and deletes. It retries what is
// safe to retry, never follows a redirect with credentials to another
// host, and never logs a secret. A Pool shares one session per registry
// (connections, ping, credentials, tokens, upload budget) across every
// Client of a process, and records where blobs were seen and which
// request sizes get through, for later copies (package hints).
package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/registry/hints"
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "ferry"

// Client is a handle on one repository of a registry (whose credentials
// it uses), on a session shared through a Pool: making one is cheap.
// Safe for concurrent use.
type Client struct {
	*hostSession
	finder  *auth.Finder
	own     *Pool    // the pool New made for this client alone, closed by Close
	domain  string   // the name's domain as written (docker.io), for credentials and messages
	repo    string   // the repository the client is for
	actions []string // on repo: pull, plus push for a destination
	log     *slog.Logger

	retry retryPolicy

	// chunkSize is the chunk size asked for (WithChunkSize), 0 for
	// streamed uploads unless the registry wants chunks.
	chunkSize int64
	// ownHints is WithHints' store, for a client made by New.
	ownHints *hints.Store

	// credMu guards the credential, looked up on the first request, and
	// the session's authenticator for it.
	credMu   sync.Mutex
	credDone bool
	cred     auth.Credential
	auth     *auth.Authenticator
}

// Option tunes a Client.
type Option func(*Client)

// ForPush makes every token the client asks for cover push on its
// repository, as a destination needs, so reads and writes share one token.
func ForPush() Option {
	return func(c *Client) { c.actions = []string{auth.ActionPull, auth.ActionPush} }
}

// WithRetry sets how often and how long the client retries 429 and 5xx
// answers and network failures: attempts in all, the first backoff
// (doubled each time), and the longest Retry-After it will wait.
func WithRetry(attempts int, backoff, maxWait time.Duration) Option {
	return func(c *Client) { c.retry.attempts, c.retry.backoff, c.retry.maxWait = attempts, backoff, maxWait }
}

// WithChunkSize makes uploads of blobs larger than n bytes go in chunks of
// at most n bytes (distribution spec, "Pushing a blob in chunks"), each a
// bounded request that is re-sent from memory when it fails. n is kept
// between MinChunkSize and MaxChunkSize; 0 keeps the default: one
// streamed request per blob, switching to chunks only when the registry,
// or a proxy in front of it, refuses or cuts large requests.
func WithChunkSize(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.chunkSize = min(max(n, MinChunkSize), MaxChunkSize)
		}
	}
}

// WithHints makes a client made by New record in s where it sees blobs
// (pulls, pushes, existence checks, mounts) and the request sizes the
// registry accepts, and read back what earlier copies recorded; Close
// saves s. Clients of a Pool share the pool's store instead.
func WithHints(s *hints.Store) Option {
	return func(c *Client) { c.ownHints = s }
}

// New prepares a client, on a pool of its own that records no hints
// (unless WithHints), for the registry that serves name (Docker Hub names
// go to registry-1.docker.io). It does no network I/O: the first call
// looks up the credentials for name's repository as o.Auth says and pings
// the registry. Close releases its connections. A process that makes more
// than one client shares a Pool instead.
func New(ctx context.Context, name reference.Named, o *Options, opts ...Option) (*Client, error) {
	p := NewPool(PoolOptions{NoHints: true, Logger: o.log()})
	c, err := p.Client(name, o, opts...)
	if err != nil {
		return nil, err
	}
	c.own = p
	if c.ownHints != nil {
		p.hints, c.hints = c.ownHints, c.ownHints
	}
	return c, nil
}

// Host is the host[:port] serving the registry API.
func (c *Client) Host() string { return c.host }

// Repository is the repository the client was made for.
func (c *Client) Repository() string { return c.repo }

// Close closes the client's own pool when New made it (releasing idle
// connections and saving hints); a pool's clients leave that to the pool.
func (c *Client) Close() error {
	if c.own != nil {
		return c.own.Close()
	}
	return nil
}

// newTransport speaks HTTP/1.1 only: ranged blob downloads gain from
// several TCP connections on links that throttle each one, and HTTP/2
// would multiplex them all onto a single connection.
func newTransport(tc *tls.Config) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialBulk(d),
		TLSClientConfig:       tc,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// checkRedirect follows up to 10 redirects and drops the Authorization
// header whenever a redirect leaves the scheme and host:port of the
// original request (a CDN or object store must never see registry
// credentials). Go itself only compares host names, not ports. A redirect
// to another scheme than http or https, or past the tenth, fails for good.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errdefs.Permanent(fmt.Errorf("%w: stopped after 10 redirects", errdefs.ErrUnavailable))
	}
	if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
		// file://, gopher://, ...: no retry makes them followable.
		return fmt.Errorf("%w: the registry redirected to %s, which is not an HTTP URL",
			errdefs.ErrNotSupported, req.URL.Scheme+"://"+req.URL.Host)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// ping makes the client ready for requests and returns the API's base
// URL: the credential looked up (once per client; the pool's Finder reads
// files and runs helpers once), the registry pinged (once per session),
// and the session's authenticator for the credential picked.
func (c *Client) ping(ctx context.Context) (string, error) {
	cred, err := c.credential(ctx)
	if err != nil {
		return "", err
	}
	base, err := c.pingSession(ctx)
	if err != nil {
		return "", err
	}
	c.credMu.Lock()
	if c.auth == nil {
		c.auth = c.authenticator(c.domain, cred, c.log)
	}
	c.credMu.Unlock()
	return base, nil
}

// credential looks up the client's credential once.
func (c *Client) credential(ctx context.Context) (auth.Credential, error) {
	c.credMu.Lock()
	defer c.credMu.Unlock()
	if !c.credDone {
		cred, err := c.finder.Lookup(ctx, c.domain, c.repo)
		if err != nil {
			return auth.Credential{}, err
		}
		c.cred, c.credDone = cred, true
	}
	return c.cred, nil
}

// pingSession finds the API's base URL and its auth challenge with GET
// /v2/ (distribution spec, "Determining support"), once per session:
// https first, then, only when insecure access is allowed, plain http.
func (c *Client) pingSession(ctx context.Context) (string, error) {
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	if c.base != "" {
		return c.base, nil
	}
	schemes := []string{"https"}
	if c.insecure {
		schemes = append(schemes, "http")
	}
	var firstErr, lastErr error
	for i, scheme := range schemes {
		base := scheme + "://" + c.host
		// With a fallback to come, a failing https is not worth retries.
		err := c.pingOne(ctx, base, i < len(schemes)-1)
		if err == nil {
			c.base = base
			return base, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var re *Error
		if errors.As(err, &re) {
			if firstErr != nil && re.Status == http.StatusBadRequest {
				// Plain HTTP spoken to a TLS server: the TLS failure
				// is the one worth reporting.
				lastErr = firstErr
				break
			}
			// The server answered: it is a registry (or not); do not try
			// another scheme.
			return "", fmt.Errorf("%s: %w", c.domain, err)
		}
		c.log.Debug("registry ping failed", "url", base+"/v2/", "error", err)
		if firstErr == nil {
			firstErr = err
		}
		lastErr = err // names the URL of the attempt that failed last
	}
	return "", fmt.Errorf("%s: %w", c.domain, lastErr)
}

func (c *Client) pingOne(ctx context.Context, base string, once bool) error {
	resp, err := c.send(ctx, &request{method: http.MethodGet, url: base + "/v2/", once: once}, false)
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		c.signaturesAPI = offersSignaturesAPI(resp) // c.pingMu is held.
		resp.Body.Close()
		return nil
	case http.StatusUnauthorized:
		// c.pingMu is held.
		c.signaturesAPI = offersSignaturesAPI(resp)
		c.challenges = auth.ParseChallenges(resp.Header.Values("WWW-Authenticate"))
		resp.Body.Close()
		return nil
	case http.StatusNotFound:
		resp.Body.Close()
		return &Error{Method: http.MethodGet, Path: "/v2/", Status: resp.StatusCode,
			Message: "not a container registry: " + base + "/v2/ answered 404"}
	}
	return errorFrom(resp, false)
}
