package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The OCI 1.1 referrers API (distribution-spec "Listing Referrers"):
// GET /v2/REPO/referrers/DIGEST answers an image index of the manifests
// whose subject is DIGEST, paged with Link headers, optionally filtered
// by ?artifactType= (the registry says it applied the filter with
// OCI-Filters-Applied). A registry that does not implement it answers
// 404; its clients keep referrers under the tag schema (sha256-HEX)
// instead.

// maxReferrersPages bounds the pages of one listing.
const maxReferrersPages = 100

// GetReferrers lists the referrers of the manifest d in repo through the
// referrers API, those of artifactType only when it is set. supported is
// false when the registry answers 404 (or 405, UNSUPPORTED): it has no
// referrers API, and the caller falls back to the tag schema.
func (c *Client) GetReferrers(ctx context.Context, repo string, d digest.Digest, artifactType string) (list []ocispec.Descriptor, supported bool, err error) {
	if err := d.Validate(); err != nil {
		return nil, false, fmt.Errorf("%w: manifest digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	u := "/v2/" + repo + "/referrers/" + d.String()
	if artifactType != "" {
		u += "?artifactType=" + url.QueryEscape(artifactType)
	}
	for page := 0; u != ""; page++ {
		if page == maxReferrersPages {
			return nil, true, fmt.Errorf("%w: referrers of %s: more than %d pages", errdefs.ErrInvalidArgument, d, maxReferrersPages)
		}
		resp, err := c.do(ctx, &request{method: http.MethodGet, url: u, header: http.Header{"Accept": {ocispec.MediaTypeImageIndex}},
			scopes: c.scopes(repo)}, http.StatusOK, http.StatusNotFound)
		if page == 0 && errors.Is(err, errdefs.ErrNotSupported) {
			return nil, false, nil // 405 or UNSUPPORTED: no API either
		}
		if err != nil {
			return nil, false, fmt.Errorf("referrers of %s: %w", d, err)
		}
		if resp.StatusCode == http.StatusNotFound {
			drain(resp)
			return nil, false, nil
		}
		entries, filtered, next, err := readReferrersPage(resp)
		if err != nil {
			return nil, true, fmt.Errorf("referrers of %s: %w", d, err)
		}
		for _, e := range entries {
			if artifactType == "" || filtered || e.ArtifactType == artifactType {
				list = append(list, e)
			}
		}
		u = next
	}
	return list, true, nil
}

// readReferrersPage reads one page: its entries, whether the registry
// applied the artifactType filter, and the next page's URL ("" at the
// end).
func readReferrersPage(resp *http.Response) (entries []ocispec.Descriptor, filtered bool, next string, err error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxManifestSize+1))
	if err != nil {
		return nil, false, "", fmt.Errorf("%w: reading the list: %v", errdefs.ErrUnavailable, netError(err))
	}
	if len(b) > MaxManifestSize {
		return nil, false, "", fmt.Errorf("%w: the list is larger than %d bytes", errdefs.ErrInvalidManifest, MaxManifestSize)
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil || ix.SchemaVersion != 2 {
		return nil, false, "", fmt.Errorf("%w: the registry's list is not an image index", errdefs.ErrInvalidManifest)
	}
	for _, e := range ix.Manifests {
		if err := e.Digest.Validate(); err != nil {
			return nil, false, "", fmt.Errorf("%w: the registry's list names digest %q", errdefs.ErrInvalidManifest, e.Digest)
		}
	}
	filtered = slices.ContainsFunc(strings.Split(resp.Header.Get("OCI-Filters-Applied"), ","), func(f string) bool {
		return strings.TrimSpace(f) == "artifactType"
	})
	return ix.Manifests, filtered, nextPage(resp), nil
}

// nextPage is the rel="next" target of the Link header, resolved against
// the request's URL, "" when there is none or it points at another host
// (credentials go to the registry only).
func nextPage(resp *http.Response) string {
	link := nextLink(resp.Header.Values("Link"))
	if link == "" {
		return ""
	}
	u, err := resp.Request.URL.Parse(link)
	if err != nil || u.Host != resp.Request.URL.Host {
		return ""
	}
	return u.String()
}
