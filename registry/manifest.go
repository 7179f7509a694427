package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestSize bounds a manifest read into memory; the distribution
// spec (section "Pushing Manifests") asks registries to accept at least
// 4 MiB, so nothing legitimate is larger.
const MaxManifestSize = 4 << 20

var acceptManifests = strings.Join(manifest.AcceptedMediaTypes, ", ")

// scopes is the token scope for an operation on repo: the client's own
// actions on its repository (pull, or pull,push for a destination), pull
// elsewhere, plus extra.
func (c *Client) scopes(repo string, extra ...string) []auth.Scope {
	acts := []string{auth.ActionPull}
	if repo == c.repo {
		acts = slices.Clone(c.actions)
	}
	return auth.MergeScopes([]auth.Scope{auth.Repository(repo, append(acts, extra...)...)})
}

func manifestPath(repo, ref string) string { return "/v2/" + repo + "/manifests/" + ref }

// GetManifest fetches the manifest repo:ref (a tag or a digest) with an
// Accept header listing every type ferry reads, and returns its bytes as
// stored, its media type and its digest. Docker-Content-Digest is not
// trusted: content fetched by digest is verified against it, content
// fetched by tag is hashed (signed schema-1 aware).
func (c *Client) GetManifest(ctx context.Context, repo, ref string) ([]byte, string, digest.Digest, error) {
	var b []byte
	var mt string
	for attempt := 1; ; attempt++ {
		var err error
		b, mt, err = c.readManifest(ctx, repo, ref)
		var be *bodyError
		if errors.As(err, &be) && attempt < c.retry.attempts && ctx.Err() == nil {
			// The body broke or stalled: ask again.
			c.log.Debug("registry manifest body failed, asking again", "ref", ref, "error", err)
			if werr := c.wait(ctx, c.backoff(attempt)); werr != nil {
				return nil, "", "", werr
			}
			continue
		}
		if err != nil {
			return nil, "", "", err
		}
		break
	}
	if want, err := digest.Parse(ref); err == nil {
		if manifest.IsSchema1(mt) && want.Algorithm() == digest.SHA256 {
			got, err := manifest.Digest(b)
			if err != nil {
				return nil, "", "", err
			}
			if got != want {
				return nil, "", "", fmt.Errorf("%w: manifest has digest %s, want %s", errdefs.ErrDigestMismatch, got, want)
			}
		} else if err := verify.Bytes(b, want, -1); err != nil {
			return nil, "", "", err
		}
		return b, mt, want, nil
	}
	d, err := manifest.Digest(b)
	if err != nil {
		return nil, "", "", err
	}
	return b, mt, d, nil
}

// readManifest makes one request for the manifest repo:ref and returns
// its bytes and media type; a body that breaks or stalls is a *bodyError.
func (c *Client) readManifest(ctx context.Context, repo, ref string) ([]byte, string, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodGet, url: manifestPath(repo, ref),
		header: http.Header{"Accept": {acceptManifests}},
		scopes: c.scopes(repo),
	}, http.StatusOK)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.ContentLength > MaxManifestSize {
		return nil, "", fmt.Errorf("%w: manifest of %d bytes is larger than %d", errdefs.ErrInvalidManifest, resp.ContentLength, MaxManifestSize)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxManifestSize+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", &bodyError{fmt.Errorf("%w: reading manifest: %v", errdefs.ErrUnavailable, netError(err))}
	}
	if len(b) > MaxManifestSize {
		return nil, "", fmt.Errorf("%w: manifest is larger than %d bytes", errdefs.ErrInvalidManifest, MaxManifestSize)
	}
	return b, mediaType(resp.Header.Get("Content-Type"), b), nil
}

// bodyError is a response body that broke or stalled after its headers.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// mediaType is the manifest's media type: the Content-Type when it names
// a manifest type, else what the bytes say (registries answering
// application/json or text/plain).
func mediaType(contentType string, b []byte) string {
	mt := manifest.Normalize(contentType)
	if manifest.IsManifest(mt) && mt != "application/json" {
		return mt
	}
	if d := manifest.Detect(b); d != "" {
		return d
	}
	return mt
}

// HeadManifest asks for repo:ref's descriptor without its body. The digest
// is the registry's Docker-Content-Digest claim, not verified; use
// GetManifest where it matters.
func (c *Client) HeadManifest(ctx context.Context, repo, ref string) (ocispec.Descriptor, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodHead, url: manifestPath(repo, ref),
		header: http.Header{"Accept": {acceptManifests}},
		scopes: c.scopes(repo),
	}, http.StatusOK)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	resp.Body.Close()
	d, _ := digest.Parse(resp.Header.Get("Docker-Content-Digest"))
	if d == "" {
		d, _ = digest.Parse(ref)
	}
	size, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil {
		size = -1
	}
	return ocispec.Descriptor{MediaType: manifest.Normalize(resp.Header.Get("Content-Type")), Digest: d, Size: size}, nil
}

// PutManifest stores b as repo:ref (a tag, or the manifest's digest) with
// media type mt and returns its digest. The body is re-sendable, so the
// call is retried like any other.
func (c *Client) PutManifest(ctx context.Context, repo, ref string, b []byte, mt string) (digest.Digest, error) {
	d, err := manifest.Digest(b)
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodPut, url: manifestPath(repo, ref),
		header:  http.Header{"Content-Type": {mt}},
		getBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		length:  int64(len(b)),
		scopes:  c.scopes(repo, auth.ActionPush),
	}, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	drain(resp)
	return d, nil
}

// DeleteManifest deletes repo:ref. With a digest it deletes the manifest
// and every tag pointing at it; with a tag (OCI distribution spec 1.1,
// "Deleting tags") only the tag, where the registry supports that.
func (c *Client) DeleteManifest(ctx context.Context, repo, ref string) error {
	resp, err := c.do(ctx, &request{
		method: http.MethodDelete, url: manifestPath(repo, ref),
		scopes: c.scopes(repo, auth.ActionPush, auth.ActionDelete),
	}, http.StatusAccepted, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}
