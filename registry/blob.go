package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func blobPath(repo string, d ocispec.Descriptor) string {
	return "/v2/" + repo + "/blobs/" + d.Digest.String()
}

// GetBlob streams the blob d of repo, following redirects (without
// credentials to other hosts). The caller closes the reader and verifies
// digest and size.
func (c *Client) GetBlob(ctx context.Context, repo string, d ocispec.Descriptor) (io.ReadCloser, error) {
	resp, err := c.do(ctx, &request{method: http.MethodGet, url: blobPath(repo, d), scopes: c.scopes(repo)}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	c.record(repo, d.Digest)
	return &netErrorBody{ReadCloser: resp.Body}, nil
}

// ErrRangeIgnored comes with a body holding the whole blob when the
// registry answered a Range request with all of it.
var ErrRangeIgnored = fmt.Errorf("%w: the registry ignored the byte range and sent the whole blob", errdefs.ErrNotSupported)

// GetBlobRange streams bytes start..end (inclusive, as in an HTTP Range;
// end < 0 means to the end) of the blob d, for downloads split across
// connections or resumed. When the registry ignores Range and sends the
// whole blob, it returns that body (from byte 0) together with an error
// wrapping ErrRangeIgnored, so no byte is wasted: the caller reads on
// past its range, or skips to it, and closes the body.
func (c *Client) GetBlobRange(ctx context.Context, repo string, d ocispec.Descriptor, start, end int64) (io.ReadCloser, error) {
	if start < 0 || (end >= 0 && end < start) {
		return nil, fmt.Errorf("%w: byte range %d-%d", errdefs.ErrInvalidArgument, start, end)
	}
	rng := "bytes=" + strconv.FormatInt(start, 10) + "-"
	if end >= 0 {
		rng += strconv.FormatInt(end, 10)
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodGet, url: blobPath(repo, d),
		header: http.Header{"Range": {rng}},
		scopes: c.scopes(repo),
	}, http.StatusPartialContent, http.StatusOK)
	if err != nil {
		return nil, err
	}
	c.record(repo, d.Digest)
	body := &netErrorBody{ReadCloser: resp.Body}
	if resp.StatusCode == http.StatusOK && (start != 0 || end >= 0) {
		return body, ErrRangeIgnored
	}
	return body, nil
}

// HeadBlob reports whether repo holds the blob d.
func (c *Client) HeadBlob(ctx context.Context, repo string, d ocispec.Descriptor) (bool, error) {
	return c.gated(ctx, repo, d.Digest, func() (bool, error) { return c.headBlob(ctx, repo, d) })
}

func (c *Client) headBlob(ctx context.Context, repo string, d ocispec.Descriptor) (bool, error) {
	resp, err := c.do(ctx, &request{method: http.MethodHead, url: blobPath(repo, d), scopes: c.scopes(repo)}, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		c.record(repo, d.Digest)
	}
	return resp.StatusCode == http.StatusOK, nil
}

// DeleteBlob deletes the blob d from repo.
func (c *Client) DeleteBlob(ctx context.Context, repo string, d ocispec.Descriptor) error {
	c.blobs.forget(blobSite{repo, d.Digest})
	resp, err := c.do(ctx, &request{method: http.MethodDelete, url: blobPath(repo, d), scopes: c.scopes(repo, "push", "delete")},
		http.StatusAccepted, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// netErrorBody reports a connection that fails mid-body as
// errdefs.ErrUnavailable, without the URL.
type netErrorBody struct {
	io.ReadCloser
}

func (b *netErrorBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: reading blob: %v", errdefs.ErrUnavailable, netError(err))
	}
	return n, err
}
