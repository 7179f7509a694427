//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The checks below run after every command, so a tool that fails quietly
// (exit 0, nothing written) is reported as failed, not fast. They are
// cheap: they look at sizes and names, not at every byte.

// checkOCI wants an OCI layout (image-spec "image-layout.md") at dir:
// index.json naming at least one manifest, and blobs adding up to at least
// the image's compressed size.
func checkOCI(dir string, im *benchImage) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return 0, fmt.Errorf("no OCI layout: %w", err)
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return 0, fmt.Errorf("index.json: %w", err)
	}
	if len(ix.Manifests) == 0 {
		return 0, fmt.Errorf("index.json lists no manifest")
	}
	n := treeSize(filepath.Join(dir, "blobs"))
	if n < im.Compressed() {
		return n, fmt.Errorf("blobs hold %d bytes, the image has %d", n, im.Compressed())
	}
	return n, nil
}

// checkArchive wants a non-empty tar at path, at least as large as the
// compressed image (layers stored compressed or not).
func checkArchive(path string, im *benchImage) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("no archive: %w", err)
	}
	if st.Size() < im.Compressed() {
		return st.Size(), fmt.Errorf("archive is %d bytes, the image has %d", st.Size(), im.Compressed())
	}
	return st.Size(), nil
}

// checkRegistry wants repo:1 and every blob of the image in the registry
// at base.
func checkRegistry(ctx context.Context, c *http.Client, base, repo string, im *benchImage) error {
	ok, err := headOK(ctx, c, base+"/v2/"+repo+"/manifests/1")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s:1 is not in the destination registry", repo)
	}
	for _, d := range im.Blobs() {
		ok, err := headOK(ctx, c, base+"/v2/"+repo+"/blobs/"+d.Digest.String())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("blob %s is missing from %s", d.Digest, repo)
		}
	}
	return nil
}
