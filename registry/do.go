package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/retry"
	"github.com/ferrytool/ferry/registry/auth"
)

// request is one API call. A body from getBody can be sent again, so the
// call is retried; a stream body cannot, so it is sent once.
type request struct {
	method  string
	url     string // absolute
	header  http.Header
	getBody func() (io.ReadCloser, error)
	stream  io.Reader
	length  int64 // body length, -1 unknown (0 with no body)
	scopes  []auth.Scope
	once    bool // send once, no retries
}

func (r *request) resendable() bool { return r.stream == nil }

// retryPolicy bounds retries of 429, 5xx and network failures.
type retryPolicy struct {
	attempts int
	backoff  time.Duration
	maxWait  time.Duration
	stall    time.Duration // the stall window, 0 for DefaultStallTimeout
}

var defaultRetry = retryPolicy{attempts: 5, backoff: 500 * time.Millisecond, maxWait: 60 * time.Second}

// build makes the HTTP request; g (when not nil) watches its body.
func (c *Client) build(ctx context.Context, r *request, g *guard) (*http.Request, error) {
	var body io.Reader
	if r.getBody != nil {
		b, err := r.getBody()
		if err != nil {
			return nil, err
		}
		body = b
	} else if r.stream != nil {
		body = r.stream
	}
	// An empty body stays http.NoBody: wrapped, it would go chunked.
	if body != nil && body != http.NoBody && r.length != 0 && g != nil {
		body = &guardedBody{r: body, g: g, window: c.stallWindow(), answer: c.answerWait(r.method)}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, err
	}
	if r.getBody != nil {
		req.GetBody = r.getBody
	}
	if body != nil {
		req.ContentLength = r.length
		if r.stream != nil && r.length < 0 {
			req.ContentLength = -1
		}
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.ua)
	return req, nil
}

// send makes the request, retrying 429 (honouring Retry-After), 5xx and
// network failures (stalls included) when the body can be sent again; a
// refused connection is not retried here. With authorize set it adds the
// Authorization header for r.scopes. Any status other than the retried
// ones is returned to the caller with its body open, watched for stalls.
func (c *Client) send(ctx context.Context, r *request, authorize bool) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		last := attempt >= c.retry.attempts || !r.resendable() || r.once
		resp, logURL, err := c.sendOnce(ctx, r, authorize)
		var ae *authorizeError
		switch {
		case err == nil:
		case errors.As(err, &ae):
			if last || !(errors.Is(err, errdefs.ErrUnavailable) || errors.Is(err, errdefs.ErrTooManyRequests)) {
				return nil, ae.err
			}
			if werr := c.wait(ctx, c.backoff(attempt)); werr != nil {
				return nil, werr
			}
			continue
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errdefs.IsPermanent(err):
			// A redirect ferry does not follow, say: no retry helps.
			return nil, fmt.Errorf("%s %s: %w", r.method, logURL, netError(err))
		case tlsPermanent(err):
			// Not the server being unavailable: a TLS setup that no retry
			// cures. A certificate that does not verify is named as such,
			// so the CLI can say which flags change it.
			if certificateError(err) {
				return nil, errdefs.Permanent(fmt.Errorf("%s %s: %w: %v", r.method, logURL, errdefs.ErrUntrustedCertificate, netError(err)))
			}
			return nil, errdefs.Permanent(fmt.Errorf("%s %s: %v", r.method, logURL, netError(err)))
		case last || retry.Refused(err) || (errors.Is(err, errNoAnswer) && attempt >= 2):
			// Nothing listens there, or a host answered nothing twice, each
			// time for longer than a healthy registry takes: the caller's
			// retries (--retry-times) decide whether to wait for it, not
			// this loop.
			if errors.Is(err, errdefs.ErrUnavailable) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s %s: %v", errdefs.ErrUnavailable, r.method, logURL, netError(err))
		default:
			if werr := c.wait(ctx, c.backoff(attempt)); werr != nil {
				return nil, werr
			}
			continue
		}
		c.logRateLimit(resp)
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header.Get("Retry-After"), c.backoff(attempt))
			if last || wait > c.retry.maxWait {
				return resp, nil
			}
			drain(resp)
			c.log.Debug("registry rate limit, waiting", "url", logURL, "wait", wait)
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && resp.StatusCode != http.StatusHTTPVersionNotSupported:
			if last {
				return resp, nil
			}
			drain(resp)
		default:
			return resp, nil
		}
		if werr := c.wait(ctx, c.backoffOr(attempt, resp)); werr != nil {
			return nil, werr
		}
	}
}

// errNoAnswer is a request the guard ended before any answer came.
var errNoAnswer = errors.New("no answer")

// authorizeError is a failure to get credentials for a request (a token
// service down, say), as opposed to a failure of the request itself.
type authorizeError struct{ err error }

func (e *authorizeError) Error() string { return e.err.Error() }
func (e *authorizeError) Unwrap() error { return e.err }

// sendOnce makes one attempt at r under a guard that ends it when it makes
// no progress: the token fetch and the wait for the answer are bounded by
// answerWait, the request and response bodies by the stall window. It
// returns the URL as logged.
func (c *Client) sendOnce(ctx context.Context, r *request, authorize bool) (*http.Response, string, error) {
	rctx, cancel := context.WithCancel(ctx)
	g := newGuard(cancel)
	req, err := c.build(rctx, r, g)
	if err != nil {
		g.stop()
		return nil, "", err
	}
	logURL := redactURL(req.URL)
	answer := c.answerWait(r.method)
	g.run(answer)
	if authorize {
		if err := c.auth.Authorize(rctx, req, r.scopes); err != nil {
			g.stop()
			if g.stalled() && ctx.Err() == nil {
				err = fmt.Errorf("%w: the token service made no progress for %v", errdefs.ErrUnavailable, answer)
			}
			return nil, logURL, &authorizeError{err}
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		g.stop()
		if g.stalled() && ctx.Err() == nil {
			err = fmt.Errorf("%w: %s %s: %w within %v", errdefs.ErrUnavailable, r.method, logURL, errNoAnswer, answer)
		}
		c.log.Debug("registry request", "method", r.method, "url", logURL, "error", netError(err))
		return nil, logURL, err
	}
	g.progress()
	c.log.Debug("registry request", "method", r.method, "url", logURL, "status", resp.StatusCode)
	resp.Body = &guardedResponse{ReadCloser: resp.Body, g: g, window: c.stallWindow(), method: r.method, url: logURL}
	return resp, logURL, nil
}

// do authorizes, sends (with retries) and, on 401, takes the registry's
// new challenge (a first challenge, an expired token, or a token lacking
// scope: "insufficient_scope" widens the scopes asked for) and tries once
// more. It returns the response when its status is one of want; anything
// else becomes an *Error.
func (c *Client) do(ctx context.Context, r *request, want ...int) (*http.Response, error) {
	base, err := c.ping(ctx)
	if err != nil {
		return nil, err
	}
	if r.url[0] == '/' {
		r.url = base + r.url
	}
	// Credentials go to the registry's own host only: never to an upload
	// Location or other URL on another host.
	own := ownURL(base, r.url)
	for reauth := false; ; reauth = true {
		resp, err := c.send(ctx, r, own)
		if err != nil {
			return nil, err
		}
		for _, w := range want {
			if resp.StatusCode == w {
				return resp, nil
			}
		}
		if resp.StatusCode == http.StatusUnauthorized && (!own || !ownURL(base, resp.Request.URL.String())) {
			// Another host asks for credentials: its challenge is not
			// the registry's, and the registry's credentials are not its.
			drain(resp)
			return nil, c.foreignAuthError(r.method, resp.Request.URL)
		}
		if resp.StatusCode == http.StatusUnauthorized && !reauth && r.resendable() {
			chs := auth.ParseChallenges(resp.Header.Values("WWW-Authenticate"))
			_, bearer := auth.Find(chs, "bearer")
			sentBasic := strings.HasPrefix(resp.Request.Header.Get("Authorization"), "Basic ")
			// Refused Basic credentials stay refused: asking again
			// would only count as a second failed login.
			if len(chs) > 0 && !(sentBasic && !bearer) {
				drain(resp)
				c.auth.Invalidate(r.scopes)
				if b, ok := auth.Find(chs, "bearer"); ok {
					r.scopes = auth.MergeScopes(r.scopes, auth.ParseScopes(b.Params["scope"]))
				}
				c.auth.SetChallenges(chs)
				continue
			}
		}
		return nil, errorFrom(resp, !c.auth.Credential().IsZero())
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.backoff << (attempt - 1)
	if d > 8*time.Second || d <= 0 {
		d = 8 * time.Second
	}
	return d
}

// backoffOr waits as Retry-After says on a 429 (or 503 that sends it),
// otherwise the exponential backoff.
func (c *Client) backoffOr(attempt int, resp *http.Response) time.Duration {
	if d := retryAfter(resp.Header.Get("Retry-After"), 0); d > 0 && d <= c.retry.maxWait {
		return d
	}
	return c.backoff(attempt)
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter parses Retry-After (RFC 9110 section 10.2.3): seconds or an
// HTTP date. Without the header, or with one it cannot read, it returns def.
func retryAfter(v string, def time.Duration) time.Duration {
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && s >= 0 {
		return secondsDuration(s)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return def
}

// secondsDuration is s seconds, or the longest Duration where that does
// not fit (a Retry-After of billions of seconds must not wrap to a
// negative wait and be retried at once).
func secondsDuration(s int64) time.Duration {
	if s > int64(math.MaxInt64/time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s) * time.Second
}

// logRateLimit logs Docker Hub's rate limit headers, when present.
func (c *Client) logRateLimit(resp *http.Response) {
	limit, remaining := resp.Header.Get("RateLimit-Limit"), resp.Header.Get("RateLimit-Remaining")
	if limit == "" && remaining == "" {
		return
	}
	c.log.Debug("registry rate limit", "limit", limit, "remaining", remaining, "source", resp.Header.Get("Docker-RateLimit-Source"))
}

// drain reads a little of a body we do not need, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// redactURL keeps scheme, host and path: queries may carry signatures
// (object-store redirects) or upload state that have no place in a log.
func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}

// tlsPermanent reports transport failures that a retry cannot cure: TLS
// verification, a TLS alert from the server (a client certificate it
// wants), or TLS spoken to a plain-HTTP server.
func tlsPermanent(err error) bool {
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true // a TLS alert from the server
	}
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &ua) || errors.As(err, &hn) ||
		errors.As(err, &ci) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// certificateError reports a failure to verify the server's certificate.
func certificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// netError strips the URL (and so any query) from a transport error.
func netError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
