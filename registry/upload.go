package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MonolithicMax is the largest blob sent in a single PUT. Such a blob is
// held in memory so the PUT can be retried; larger ones are streamed in
// one PATCH, never buffered.
const MonolithicMax = 1 << 20

func uploadsPath(repo string) string { return "/v2/" + repo + "/blobs/uploads/" }

// PutBlob uploads the blob d to repo from r, reading r to its end. Small
// blobs go in one retryable POST + PUT; larger ones in POST, a streamed
// PATCH and PUT ?digest= (distribution spec, "Pushing a blob in
// chunks", with a single chunk). Nothing is committed unless every Read
// succeeded and the content matches d's digest and size; otherwise the
// upload session is cancelled.
func (c *Client) PutBlob(ctx context.Context, repo string, d ocispec.Descriptor, r io.Reader) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: blob digest %q: %v", errdefs.ErrInvalidArgument, d.Digest, err)
	}
	head, err := io.ReadAll(io.LimitReader(r, MonolithicMax+1))
	if err != nil {
		return err
	}
	if len(head) <= MonolithicMax {
		if err := verify.Bytes(head, d.Digest, d.Size); err != nil {
			return err
		}
		return c.putMonolithic(ctx, repo, d.Digest, head)
	}
	_, err = c.upload(ctx, repo, io.MultiReader(bytes.NewReader(head), r), d.Size, d.Digest)
	return err
}

// PutBlobStream uploads a blob whose digest and size are known only at
// its end (transport.StreamingDestination): it streams r in one PATCH,
// hashing as it goes, and commits with the digest it computed.
func (c *Client) PutBlobStream(ctx context.Context, repo, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	d, err := c.upload(ctx, repo, r, -1, "")
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d.MediaType = mediaType
	return d, nil
}

// MountBlob asks the registry to link the blob d from repository from
// into repo without moving its bytes (distribution spec, "Mounting a blob
// from another repository"). It reports false when the registry declines
// (202: it opened an upload session instead, which is cancelled) or
// cannot (the source is unknown or not readable with our credentials).
func (c *Client) MountBlob(ctx context.Context, repo, from string, d ocispec.Descriptor) (bool, error) {
	q := url.Values{"mount": {d.Digest.String()}, "from": {from}}
	resp, err := c.do(ctx, &request{
		method: http.MethodPost, url: uploadsPath(repo) + "?" + q.Encode(),
		getBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
		scopes:  auth.MergeScopes(c.scopes(repo, auth.ActionPush), []auth.Scope{auth.Repository(from, auth.ActionPull)}),
	}, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) || errors.Is(err, errdefs.ErrDenied) || errors.Is(err, errdefs.ErrUnauthorized) {
			c.log.Debug("blob mount refused", "digest", d.Digest, "from", from, "to", repo, "error", err)
			return false, nil
		}
		return false, err
	}
	drain(resp)
	if resp.StatusCode == http.StatusCreated {
		return true, nil
	}
	if loc, err := resp.Location(); err == nil {
		c.cancel(ctx, repo, loc)
	}
	return false, nil
}

// startUpload opens an upload session and returns its location.
func (c *Client) startUpload(ctx context.Context, repo string) (*url.URL, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodPost, url: uploadsPath(repo),
		getBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
		scopes:  c.scopes(repo, auth.ActionPush),
	}, http.StatusAccepted)
	if err != nil {
		return nil, err
	}
	drain(resp)
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("the registry opened an upload without a Location: %w", errdefs.ErrUnavailable)
	}
	return loc, nil
}

// putMonolithic sends b in one PUT to a fresh upload session.
func (c *Client) putMonolithic(ctx context.Context, repo string, d digest.Digest, b []byte) error {
	loc, err := c.startUpload(ctx, repo)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodPut, url: withDigest(loc, d),
		header:  http.Header{"Content-Type": {"application/octet-stream"}},
		getBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		length:  int64(len(b)),
		scopes:  c.scopes(repo, auth.ActionPush),
	}, http.StatusCreated)
	if err != nil {
		c.cancel(ctx, repo, loc)
		return err
	}
	drain(resp)
	return nil
}

// upload streams r in one PATCH and commits it with PUT ?digest=. want
// (may be empty) and size (may be -1) are checked against what was read
// before the commit.
func (c *Client) upload(ctx context.Context, repo string, r io.Reader, size int64, want digest.Digest) (ocispec.Descriptor, error) {
	loc, err := c.startUpload(ctx, repo)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	alg := digest.Canonical
	if want != "" {
		alg = want.Algorithm()
	}
	h := alg.Digester()
	cr := &hashingReader{r: r, w: h.Hash()}
	length := int64(-1)
	if size > 0 {
		length = size
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodPatch, url: loc.String(),
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		stream: cr, length: length,
		scopes: c.scopes(repo, auth.ActionPush),
	}, http.StatusAccepted, http.StatusNoContent, http.StatusCreated)
	if err != nil {
		c.cancel(ctx, repo, loc)
		if cr.err != nil {
			return ocispec.Descriptor{}, cr.err
		}
		if size >= 0 && cr.n != size && errors.Is(err, errdefs.ErrUnavailable) {
			return ocispec.Descriptor{}, fmt.Errorf("%w: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, want, cr.n, size)
		}
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	if next, err := resp.Location(); err == nil {
		loc = next
	}
	// The transport may stop at Content-Length: read on to the end so a
	// verifying reader reports a bad tail.
	if extra, err := io.Copy(io.Discard, cr); err != nil || extra > 0 {
		c.cancel(ctx, repo, loc)
		if err == nil {
			err = fmt.Errorf("%w: blob %s: more than %d bytes", errdefs.ErrSizeMismatch, want, size)
		}
		return ocispec.Descriptor{}, err
	}
	got := h.Digest()
	if want != "" && got != want {
		c.cancel(ctx, repo, loc)
		return ocispec.Descriptor{}, fmt.Errorf("%w: content has digest %s, want %s", errdefs.ErrDigestMismatch, got, want)
	}
	if size >= 0 && cr.n != size {
		c.cancel(ctx, repo, loc)
		return ocispec.Descriptor{}, fmt.Errorf("%w: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, got, cr.n, size)
	}
	resp, err = c.do(ctx, &request{
		method: http.MethodPut, url: withDigest(loc, got),
		getBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
		scopes:  c.scopes(repo, auth.ActionPush),
	}, http.StatusCreated)
	if err != nil {
		c.cancel(ctx, repo, loc)
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	return ocispec.Descriptor{Digest: got, Size: cr.n}, nil
}

// cancel deletes an upload session, best effort, even when ctx is done.
func (c *Client) cancel(ctx context.Context, repo string, loc *url.URL) {
	ctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer stop()
	resp, err := c.do(ctx, &request{method: http.MethodDelete, url: loc.String(), scopes: c.scopes(repo, auth.ActionPush)},
		http.StatusNoContent, http.StatusAccepted, http.StatusOK, http.StatusNotFound)
	if err != nil {
		c.log.Debug("cancelling upload failed", "repository", repo, "error", err)
		return
	}
	drain(resp)
}

// withDigest adds ?digest= to an upload location, keeping its query.
func withDigest(loc *url.URL, d digest.Digest) string {
	u := *loc
	q := u.Query()
	q.Set("digest", d.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// hashingReader hashes and counts what passes through and remembers the
// first read error of the source (the reason an upload failed).
type hashingReader struct {
	r   io.Reader
	w   io.Writer
	n   int64
	err error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	h.w.Write(p[:n])
	if err != nil && err != io.EOF && h.err == nil {
		h.err = err
	}
	return n, err
}
