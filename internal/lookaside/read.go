package lookaside

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Reader reads signatures from file://, http:// and https:// storages.
// Its HTTP client is its own: bounded by timeouts, sending no credentials,
// proxied as the environment says. Safe for concurrent use.
type Reader struct {
	tr *http.Transport
	hc *http.Client
}

// requestTimeout bounds one signature download, headers and body: a
// signature is a few kilobytes.
const requestTimeout = 2 * time.Minute

// NewReader makes a Reader; Close releases its connections. insecure
// skips the verification of https storages' certificates, as skopeo does
// for the lookaside of a registry reached with --tls-verify=false.
func NewReader(insecure bool) *Reader {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure},
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
	return &Reader{tr: tr, hc: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// Close releases idle connections.
func (r *Reader) Close() { r.tr.CloseIdleConnections() }

// Read returns the signatures of the manifest with digest d stored under
// base, in order, up to the first missing one. None is not an error.
func (r *Reader) Read(ctx context.Context, base *url.URL, d digest.Digest) ([][]byte, error) {
	var sigs [][]byte
	for i := 0; ; i++ {
		if i >= MaxSignatures {
			return nil, fmt.Errorf("lookaside %s holds more than %d signatures for %s, assuming a server error", base.Redacted(), MaxSignatures, d)
		}
		u, err := SignatureURL(base, d, i)
		if err != nil {
			return nil, err
		}
		b, err := r.readOne(ctx, u)
		if errors.Is(err, errMissing) {
			return sigs, nil
		}
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, b)
	}
}

// errMissing: the signature asked for does not exist, ending the list.
var errMissing = errors.New("no such signature")

func (r *Reader) readOne(ctx context.Context, u *url.URL) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errMissing
		}
		if err != nil {
			return nil, fmt.Errorf("reading signature: %w", err)
		}
		defer f.Close()
		return readLimited(f, u)
	case "http", "https":
		return r.get(ctx, u)
	}
	return nil, fmt.Errorf("%w: reading signature from %s: unsupported URL scheme %q", errdefs.ErrNotSupported, u.Redacted(), u.Scheme)
}

// get downloads one signature: 200 is a signature, 404 the end of the
// list, anything else an error.
func (r *Reader) get(ctx context.Context, u *url.URL) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: lookaside URL %s: %v", errdefs.ErrInvalidArgument, u.Redacted(), err)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: reading signature from %s: %v", errdefs.ErrUnavailable, u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return readLimited(resp.Body, u)
	case resp.StatusCode == http.StatusNotFound:
		return nil, errMissing
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("%w: reading signature from %s: the server answered %s", errdefs.ErrUnavailable, u.Redacted(), resp.Status)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: reading signature from %s: the server answered %s", errdefs.ErrDenied, u.Redacted(), resp.Status)
	}
	return nil, fmt.Errorf("reading signature from %s: the server answered %s", u.Redacted(), resp.Status)
}

// readLimited reads one signature, refusing one larger than
// MaxSignatureSize.
func readLimited(rd io.Reader, u *url.URL) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(rd, MaxSignatureSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading signature from %s: %w", u.Redacted(), err)
	}
	if len(b) > MaxSignatureSize {
		return nil, fmt.Errorf("%w: signature %s is larger than %d bytes", errdefs.ErrInvalidArgument, u.Redacted(), MaxSignatureSize)
	}
	return b, nil
}

// unwrapURLError drops *url.Error's "Get URL:" prefix, the caller naming
// the URL (redacted) itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
