package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MonolithicMax is the largest blob sent in a single PUT. Such a blob is
// held in memory so the PUT can be retried; larger ones go in a session
// of PATCH requests (see PutBlob), never buffered whole.
const MonolithicMax = 1 << 20

func uploadsPath(repo string) string { return "/v2/" + repo + "/blobs/uploads/" }

// PutBlob uploads the blob d to repo from r, reading r to its end. Small
// blobs go in one retryable POST + PUT (distribution spec, "Pushing a
// blob monolithically"). Larger ones open a session (POST), send the
// bytes in PATCH requests and close it with PUT ?digest= ("Pushing a
// blob in chunks"): by default one streamed PATCH, in chunks of bounded
// size when asked (WithChunkSize) or when the registry or a proxy in
// front of it refuses (413) or cuts a large request; a failed chunk is
// resumed from the offset the registry reports. Nothing is committed
// unless every Read succeeded and the content matches d's digest and
// size; otherwise the upload session is cancelled.
func (c *Client) PutBlob(ctx context.Context, repo string, d ocispec.Descriptor, r io.Reader) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: blob digest %q: %v", errdefs.ErrInvalidArgument, d.Digest, err)
	}
	sent := false
	held, err := c.gated(ctx, repo, d.Digest, func() (bool, error) {
		sent = true
		return true, c.putBlob(ctx, repo, d, r)
	})
	if held && !sent {
		// Another copy in this process put it there meanwhile.
		return drainKnown(r)
	}
	return err
}

func (c *Client) putBlob(ctx context.Context, repo string, d ocispec.Descriptor, r io.Reader) error {
	limit := c.monolithicMax()
	if d.Size > limit {
		// Known to be large: straight into a session, with no copy of
		// its first MiB held in memory on the way.
		_, err := c.upload(ctx, repo, r, d.Size, d.Digest, false)
		return err
	}
	head, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(head)) <= limit {
		if err := verify.Bytes(head, d.Digest, d.Size); err != nil {
			return err
		}
		err := c.putMonolithic(ctx, repo, d.Digest, head)
		if !tooLarge(err) {
			if err == nil {
				c.record(repo, d.Digest)
			}
			return err
		}
		// A proxy refuses even this small a request: chunks of half.
		c.log.Debug("blob refused as too large, sending it in chunks", "digest", d.Digest, "size", len(head))
		c.learnLimit(int64(len(head))/2, true)
		_, err = c.upload(ctx, repo, bytes.NewReader(head), d.Size, d.Digest, true)
		return err
	}
	_, err = c.upload(ctx, repo, io.MultiReader(bytes.NewReader(head), r), d.Size, d.Digest, false)
	return err
}

// PutBlobStream uploads a blob whose digest and size are known only at
// its end (transport.StreamingDestination): it sends r in a session as
// PutBlob does, hashing as it goes, and commits with the digest it
// computed.
func (c *Client) PutBlobStream(ctx context.Context, repo, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	d, err := c.upload(ctx, repo, r, -1, "", false)
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
	return c.gated(ctx, repo, d.Digest, func() (bool, error) { return c.mountBlob(ctx, repo, from, d) })
}

func (c *Client) mountBlob(ctx context.Context, repo, from string, d ocispec.Descriptor) (bool, error) {
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
		c.record(repo, d.Digest)
		c.record(from, d.Digest)
		return true, nil
	}
	if loc, err := resp.Location(); err == nil {
		c.cancel(ctx, repo, loc)
	}
	return false, nil
}

// startUpload opens an upload session and returns its location and the
// registry's minimum chunk size (OCI-Chunk-Min-Length, 0 when unsaid).
func (c *Client) startUpload(ctx context.Context, repo string) (*url.URL, int64, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodPost, url: uploadsPath(repo),
		getBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
		scopes:  c.scopes(repo, auth.ActionPush),
	}, http.StatusAccepted)
	if err != nil {
		return nil, 0, err
	}
	drain(resp)
	loc, err := resp.Location()
	if err != nil {
		return nil, 0, fmt.Errorf("the registry opened an upload without a Location: %w", errdefs.ErrUnavailable)
	}
	minChunk, _ := strconv.ParseInt(resp.Header.Get("OCI-Chunk-Min-Length"), 10, 64)
	return loc, max(minChunk, 0), nil
}

// putMonolithic sends b in one PUT to a fresh upload session.
func (c *Client) putMonolithic(ctx context.Context, repo string, d digest.Digest, b []byte) error {
	loc, _, err := c.startUpload(ctx, repo)
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

// Reopener is implemented by a reader given to PutBlob that can read the
// blob again from an offset (a file, a blob a registry serves in ranges).
// An upload of known size that is cut then resumes from what the registry
// holds by reading the source again, and keeps no copy of the bytes in
// flight in memory; for other readers the last chunk sent (4 MiB, at most
// 8 MiB across a client's uploads) is kept for that.
type Reopener interface {
	ReopenAt(ctx context.Context, off int64) (io.ReadCloser, error)
}

// hashingReader hashes and counts what passes through and remembers the
// first read error of the source (the reason an upload failed).
type hashingReader struct {
	r      io.Reader
	w      io.Writer
	n      int64 // the position in the blob
	hashed int64 // bytes hashed: more than n after a rewind
	err    error
	eof    bool // the source reached its end
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	from := h.n
	h.n += int64(n)
	if h.n > h.hashed {
		h.w.Write(p[max(0, h.hashed-from):n])
		h.hashed = h.n
	}
	if err == io.EOF {
		h.eof = true
	} else if err != nil && h.err == nil {
		h.err = err
	}
	return n, err
}

// rewind makes r, which reads the blob from offset k, the source; the
// bytes up to where reading had got are not hashed again.
func (h *hashingReader) rewind(r io.Reader, k int64) {
	h.r, h.n, h.eof = r, k, false
}
