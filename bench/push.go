//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pushImage stores im in the registry at base (http://HOST) as repo:tag
// with plain distribution-spec calls: a monolithic upload per blob
// (POST, then PUT with ?digest=, OCI distribution spec "Pushing a blob
// monolithically") and a manifest PUT. It uses no ferry code, so the setup
// never depends on what is being measured. Blobs stream from their files.
func pushImage(ctx context.Context, c *http.Client, base, repo, tag string, im *benchImage) error {
	for _, d := range im.Blobs() {
		if err := pushBlob(ctx, c, base, repo, im, d); err != nil {
			return err
		}
	}
	u := base + "/v2/" + repo + "/manifests/" + url.PathEscape(tag)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(im.Manifest()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", im.MediaType)
	return expect(c, req, http.StatusCreated)
}

// warmImage reads every blob of im back from the registry once, so its
// files are in the page cache for every tool alike. Without it the first
// run of the first round read part of them from disk, the kernel having
// dropped pages it wrote during the push: at 4 GiB that run took 10.9 and
// 13.2 s where the same build's second took 7.6 s.
func warmImage(ctx context.Context, c *http.Client, base, repo string, im *benchImage) error {
	for _, d := range im.Blobs() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/"+repo+"/blobs/"+d.Digest.String(), nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || n != d.Size {
			return fmt.Errorf("reading back %s: status %d, %d of %d bytes", d.Digest, resp.StatusCode, n, d.Size)
		}
	}
	return nil
}

func pushBlob(ctx context.Context, c *http.Client, base, repo string, im *benchImage, d ocispec.Descriptor) error {
	loc, err := startUpload(ctx, c, base, repo, d.Digest)
	if err != nil {
		return err
	}
	f, err := os.Open(im.BlobPath(d.Digest))
	if err != nil {
		return err
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), f)
	if err != nil {
		return err
	}
	req.ContentLength = d.Size
	req.Header.Set("Content-Type", "application/octet-stream")
	return expect(c, req, http.StatusCreated)
}

// startUpload opens an upload session in repo and returns the URL that
// completes it with the blob d (its Location with ?digest=).
func startUpload(ctx context.Context, c *http.Client, base, repo string, d digest.Digest) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("start upload of %s: status %s", d, resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("start upload of %s: %w", d, err)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	return loc, nil
}

// expect sends req and checks the status code.
func expect(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %s, want %d", req.Method, req.URL.Path, resp.Status, want)
	}
	return nil
}

// headOK reports whether a HEAD on u answers 200, with the Accept header
// for manifests.
func headOK(ctx context.Context, c *http.Client, u string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest+", "+ocispec.MediaTypeImageIndex+
		", application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}
