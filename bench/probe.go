//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// probe is the limit probe: the least work that still pulls an image into
// an OCI layout correctly. It fetches the manifest, then GETs every blob
// at once (one connection each), hashing while it writes, with no
// retries, no progress, no resume and no bookkeeping. A tool close to its
// time runs as fast as this machine, registry and link allow.
//
// ref is "http://HOST/REPO:TAG"; out is the layout directory to create.
func probe(ctx context.Context, ref, out string) error {
	i := strings.LastIndex(ref, ":")
	j := strings.Index(strings.TrimPrefix(ref, "http://"), "/") + len("http://")
	if i < 0 || j < len("http://") || i < j {
		return fmt.Errorf("probe: %q is not http://HOST/REPO:TAG", ref)
	}
	base, repo, tag := ref[:j], ref[j+1:i], ref[i+1:]
	c := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	mb, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: manifest: status %s", resp.Status)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return fmt.Errorf("probe: manifest: %w", err)
	}

	blobDir := filepath.Join(out, "blobs", "sha256")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		return err
	}
	blobs := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	errs := make([]error, len(blobs))
	var wg sync.WaitGroup
	for k, d := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = probeBlob(ctx, c, base+"/v2/"+repo+"/blobs/"+d.Digest.String(), blobDir, d)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	md := digest.FromBytes(mb)
	if err := os.WriteFile(filepath.Join(blobDir, md.Encoded()), mb, 0o644); err != nil {
		return err
	}
	ix, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(mb)),
			Annotations: map[string]string{ocispec.AnnotationRefName: tag},
		}},
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, ocispec.ImageLayoutFile), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index.json"), ix, 0o644)
}

func probeBlob(ctx context.Context, c *http.Client, u, dir string, d ocispec.Descriptor) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: blob %s: status %s", d.Digest, resp.Status)
	}
	f, err := os.Create(filepath.Join(dir, d.Digest.Encoded()))
	if err != nil {
		return err
	}
	v := d.Digest.Verifier()
	n, err := io.Copy(io.MultiWriter(f, v), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("probe: blob %s: %w", d.Digest, err)
	}
	if n != d.Size || !v.Verified() {
		return fmt.Errorf("probe: blob %s: got %d bytes that do not match", d.Digest, n)
	}
	return nil
}
