package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// DefaultHost is where the Docker Engine listens unless DOCKER_HOST or
// Config.Host says otherwise.
const DefaultHost = "unix:///var/run/docker.sock"

// client speaks the Docker Engine API (docs.docker.com/engine/api) with
// plain net/http, over a unix socket or TCP. It uses unversioned paths, so
// the Engine answers with its own API version; the calls ferry makes
// (image inspect, export, load) have not changed since API 1.24.
type client struct {
	host string // as given, for messages
	base string // URL prefix of every request
	http *http.Client
	// quick bounds the answers that are small and fast on any healthy
	// daemon (/version, image inspect), so that a host that accepts
	// connections and never answers fails instead of hanging. Exports
	// and loads, whose answers take as long as the image is large, are
	// bounded by the caller's context only.
	quick time.Duration
}

// Bounds on the daemon connection: connecting, and the quick answers.
const (
	dialTimeout = 30 * time.Second
	quickWait   = time.Minute
)

// newClient connects to host (Config.Host), else $DOCKER_HOST, else the
// default socket. TLS (DOCKER_TLS_VERIFY) is not supported: ferry refuses
// rather than talk plain HTTP to a TLS port.
func newClient(host string) (*client, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = DefaultHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("%w: Docker host %q: %v", errdefs.ErrInvalidArgument, host, err)
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{DisableCompression: true, DialContext: dialer.DialContext, IdleConnTimeout: 90 * time.Second}
	c := &client{host: host, http: &http.Client{Transport: tr}, quick: quickWait}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		if sock == "" {
			sock = u.Opaque
		}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", sock)
		}
		c.base = "http://docker"
	case "tcp", "http":
		if os.Getenv("DOCKER_TLS_VERIFY") != "" {
			return nil, fmt.Errorf("%w: TLS to the Docker daemon (DOCKER_TLS_VERIFY) is not supported yet", errdefs.ErrNotSupported)
		}
		c.base = "http://" + u.Host
	default:
		return nil, fmt.Errorf("%w: Docker host %q: want unix:///path or tcp://host:port", errdefs.ErrInvalidArgument, host)
	}
	return c, nil
}

// do sends a request and returns the response of a 2xx status; any other
// status becomes an error carrying the Engine's message.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	parent := ctx
	cancel := context.CancelFunc(func() {})
	if method == http.MethodGet && (path == "/version" || strings.HasSuffix(path, "/json")) {
		ctx, cancel = context.WithTimeout(ctx, c.quick)
	}
	resp, err := c.send(ctx, method, u, body, contentType)
	if err != nil {
		expired := parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		if expired {
			return nil, fmt.Errorf("%w: Docker daemon at %s: no answer to %s %s within %v", errdefs.ErrUnavailable, c.host, method, path, c.quick)
		}
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

// cancelBody releases a request's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (c *client) send(ctx context.Context, method, u string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return nil, fmt.Errorf("%w: cannot reach the Docker daemon at %s (is it running?): %v", errdefs.ErrUnavailable, c.host, opErr.Err)
		}
		return nil, fmt.Errorf("%w: Docker daemon at %s: %v", errdefs.ErrUnavailable, c.host, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, statusError(resp)
}

// statusError maps an Engine error response ({"message": ...}) to errdefs.
func statusError(resp *http.Response) error {
	var e struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) != nil || e.Message == "" {
		e.Message = strings.TrimSpace(string(b))
	}
	var kind error
	switch {
	case resp.StatusCode == http.StatusNotFound:
		kind = errdefs.ErrNotFound
	case resp.StatusCode == http.StatusUnauthorized:
		kind = errdefs.ErrUnauthorized
	case resp.StatusCode == http.StatusForbidden:
		kind = errdefs.ErrDenied
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusConflict:
		kind = errdefs.ErrInvalidArgument
	default:
		kind = errdefs.ErrUnavailable
	}
	return fmt.Errorf("%w: Docker daemon: %s (HTTP %d)", kind, e.Message, resp.StatusCode)
}

// version is an Engine API version, major.minor.
type version struct{ major, minor int }

func (v version) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// apiVersion asks the Engine its API version (GET /version).
func (c *client) apiVersion(ctx context.Context) (version, error) {
	resp, err := c.do(ctx, "GET", "/version", nil, nil, "")
	if err != nil {
		return version{}, err
	}
	defer resp.Body.Close()
	var v struct {
		APIVersion string `json:"ApiVersion"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return version{}, fmt.Errorf("%w: Docker daemon: reading /version: %v", errdefs.ErrUnavailable, err)
	}
	var out version
	if _, err := fmt.Sscanf(v.APIVersion, "%d.%d", &out.major, &out.minor); err != nil {
		return version{}, fmt.Errorf("%w: Docker daemon: API version %q", errdefs.ErrUnavailable, v.APIVersion)
	}
	return out, nil
}

// close releases idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }
