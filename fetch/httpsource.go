package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxRedirects bounds the redirects one request follows.
const maxRedirects = 5

// HTTPSource reads blob ranges from plain HTTP(S) URLs: a registry's blob
// endpoint, a CDN, a static file server. A redirect (to a CDN or a signed
// object-store URL) is followed once per blob; later ranges go straight to
// where it led, without credentials unless it is the origin's own scheme
// and host. A redirect target that starts refusing (an expired signature)
// is dropped and the origin asked again.
type HTTPSource struct {
	// Client sends the requests; nil uses one that speaks HTTP/1.1 only
	// and keeps enough idle connections per host for parallel ranges.
	// (Over HTTP/2 every range would share one TCP connection, and a link
	// that throttles or drops per connection would gain nothing.) Its
	// CheckRedirect is not used: HTTPSource follows redirects itself.
	Client *http.Client
	// URL is where the blob d is served.
	URL func(d ocispec.Descriptor) string
	// Authorize, when set, adds credentials to a request for URL(d).
	Authorize func(req *http.Request) error

	once   sync.Once
	client *http.Client
	final  sync.Map // digest.Digest -> target
}

type target struct {
	url       *url.URL
	authorize bool
}

// defaultTransport opens one TCP connection per range in flight (HTTP/1.1)
// and keeps them idle for the next ranges.
var defaultTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 4 * DefaultConnections
	t.ForceAttemptHTTP2 = false
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	return t
}()

func (s *HTTPSource) init() {
	s.once.Do(func() {
		c := &http.Client{Transport: defaultTransport}
		if s.Client != nil {
			cp := *s.Client
			c = &cp
		}
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		s.client = c
	})
}

// Endpoint is the host the blob's URL names, for the per-host budget.
func (s *HTTPSource) Endpoint(d ocispec.Descriptor) string {
	if u, err := url.Parse(s.URL(d)); err == nil {
		return u.Host
	}
	return ""
}

// ReadRange implements RangeReader.
func (s *HTTPSource) ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	s.init()
	if v, ok := s.final.Load(d.Digest); ok {
		t := v.(target)
		resp, err := s.send(ctx, t, off, n)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
			// Most likely a signed URL that expired: ask the origin.
			drain(resp)
			s.final.Delete(d.Digest)
		default:
			return s.answer(resp, d, off, n)
		}
	}
	origin, err := url.Parse(s.URL(d))
	if err != nil {
		return nil, fmt.Errorf("%w: blob URL: %v", errdefs.ErrInvalidArgument, err)
	}
	t := target{url: origin, authorize: true}
	for hop := 0; ; hop++ {
		resp, err := s.send(ctx, t, off, n)
		if err != nil {
			return nil, err
		}
		loc, redirect := location(resp)
		if !redirect {
			if hop > 0 && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent) {
				s.final.Store(d.Digest, t)
			}
			return s.answer(resp, d, off, n)
		}
		drain(resp)
		if loc == nil || hop == maxRedirects {
			return nil, fmt.Errorf("%w: %s: a bad or endless redirect", errdefs.ErrUnavailable, redact(t.url))
		}
		next := t.url.ResolveReference(loc)
		t = target{url: next, authorize: t.authorize && next.Scheme == origin.Scheme && next.Host == origin.Host}
	}
}

// location reports whether resp redirects, and where to.
func location(resp *http.Response) (*url.URL, bool) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return nil, true
		}
		return u, true
	}
	return nil, false
}

func (s *HTTPSource) send(ctx context.Context, t target, off, n int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: blob URL: %v", errdefs.ErrInvalidArgument, err)
	}
	if r := rangeHeader(off, n); r != "" {
		req.Header.Set("Range", r)
	}
	if t.authorize && s.Authorize != nil {
		if err := s.Authorize(req); err != nil {
			return nil, err
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, query and all
		}
		return nil, fmt.Errorf("%w: GET %s: %v", errdefs.ErrUnavailable, redact(t.url), err)
	}
	return resp, nil
}

// rangeHeader is the Range for [off, off+n) (RFC 9110 section 14.1.2), or
// "" for the whole blob.
func rangeHeader(off, n int64) string {
	switch {
	case n < 0 && off == 0:
		return ""
	case n < 0:
		return "bytes=" + strconv.FormatInt(off, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+n-1, 10)
}

// answer turns the final response into a body or an error.
func (s *HTTPSource) answer(resp *http.Response, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	ranged := rangeHeader(off, n) != ""
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, total, ok := contentRange(resp.Header.Get("Content-Range"))
		switch {
		case !ok || start != off:
			resp.Body.Close()
			return nil, fmt.Errorf("%w: %s: asked for bytes from %d, got Content-Range %q", errdefs.ErrUnavailable, redact(resp.Request.URL), off, resp.Header.Get("Content-Range"))
		case total >= 0 && total != d.Size:
			resp.Body.Close()
			return nil, fmt.Errorf("%w: %s: the server has %d bytes, want %d", errdefs.ErrSizeMismatch, d.Digest, total, d.Size)
		}
		return resp.Body, nil
	case http.StatusOK:
		if resp.ContentLength >= 0 && resp.ContentLength != d.Size {
			resp.Body.Close()
			return nil, fmt.Errorf("%w: %s: the server has %d bytes, want %d", errdefs.ErrSizeMismatch, d.Digest, resp.ContentLength, d.Size)
		}
		if ranged {
			return resp.Body, ErrRangeIgnored
		}
		return resp.Body, nil
	case http.StatusRequestedRangeNotSatisfiable:
		drain(resp)
		return nil, fmt.Errorf("%w: %s: the server has fewer than %d bytes", errdefs.ErrSizeMismatch, d.Digest, off+max(n, 1))
	}
	return nil, statusError(resp, d.Digest)
}

// contentRange parses "bytes START-END/TOTAL" (RFC 9110 section 14.4);
// total is -1 when the server wrote "*". A range that cannot be (END
// before START, a TOTAL not beyond END, negative numbers) is refused.
func contentRange(v string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	a, b, found2 := strings.Cut(rng, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	if tot == "*" {
		return start, -1, true
	}
	total, err := strconv.ParseInt(tot, 10, 64)
	if err != nil || total <= end {
		return 0, 0, false
	}
	return start, total, true
}

// HTTPError is an answer HTTPSource did not expect. It unwraps to the
// errdefs sentinel of its kind and carries the server's Retry-After.
type HTTPError struct {
	Status int
	// URL is the request URL without its query, which may hold a
	// signature.
	URL  string
	Wait time.Duration
	kind error
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Unwrap returns the errdefs sentinel.
func (e *HTTPError) Unwrap() error { return e.kind }

// RetryAfter implements RetryAfterError.
func (e *HTTPError) RetryAfter() time.Duration { return e.Wait }

func statusError(resp *http.Response, dg digest.Digest) error {
	drain(resp)
	e := &HTTPError{Status: resp.StatusCode, URL: redact(resp.Request.URL), Wait: retryAfter(resp.Header.Get("Retry-After"))}
	switch c := resp.StatusCode; {
	case c == http.StatusUnauthorized:
		e.kind = errdefs.ErrUnauthorized
	case c == http.StatusForbidden:
		e.kind = errdefs.ErrDenied
	case c == http.StatusNotFound || c == http.StatusGone:
		e.kind = errdefs.ErrNotFound
	case c == http.StatusTooManyRequests:
		e.kind = errdefs.ErrTooManyRequests
	case c >= 500 || c == http.StatusRequestTimeout:
		e.kind = errdefs.ErrUnavailable
	default:
		e.kind = errdefs.ErrNotSupported
	}
	return fmt.Errorf("%s: %w", dg, e)
}

// retryAfter parses Retry-After (RFC 9110 section 10.2.3): seconds or an
// HTTP date; 0 when absent or unreadable.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && s >= 0 {
		if s > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64 // not wrapped to a negative wait
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// redact keeps scheme, host and path: a query may hold a signature.
func redact(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}

// drain reads a little of a body that is not needed, so the connection
// can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
