package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// File names of an OCI image layout (image-spec image-layout.md).
const (
	layoutFile = ocispec.ImageLayoutFile // "oci-layout"
	indexFile  = ocispec.ImageIndexFile  // "index.json"
	blobsDir   = ocispec.ImageBlobsDir   // "blobs"
	// lockFile guards index.json updates between writers (see lock.go).
	lockFile = "index.json.lock"
)

// maxManifestSize bounds what is read into memory as a manifest or
// index.json: real ones are a few KB, and a bound keeps a hostile layout
// from making ferry read a layer into memory.
const maxManifestSize = 8 << 20

// blobPath is where a blob lives: blobs/ALG/HEX (image-layout.md "Blobs").
// The digest is validated first, so a crafted one cannot name a path
// outside the layout.
func blobPath(root string, d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return filepath.Join(root, blobsDir, d.Algorithm().String(), d.Encoded()), nil
}

// checkLayoutFile reads the oci-layout file, if any, and refuses a layout
// of a version ferry does not know (image-layout.md "oci-layout file").
// present reports whether the file exists.
func checkLayoutFile(root string) (present bool, err error) {
	b, err := os.ReadFile(filepath.Join(root, layoutFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("oci:%s: %w", root, err)
	}
	var l ocispec.ImageLayout
	if err := json.Unmarshal(b, &l); err != nil {
		return true, fmt.Errorf("oci:%s: %w: oci-layout file: %v", root, errdefs.ErrInvalidArchive, err)
	}
	if !strings.HasPrefix(l.Version, "1.") {
		return true, fmt.Errorf("oci:%s: %w: image layout version %q (ferry reads 1.x)", root, errdefs.ErrNotSupported, l.Version)
	}
	return true, nil
}

// readIndex reads index.json; exists is false when there is none.
func readIndex(root string) (ix *ocispec.Index, raw []byte, exists bool, err error) {
	raw, err = readSmallFile(filepath.Join(root, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("oci:%s: %w", root, err)
	}
	ix, err = ParseIndex(raw)
	if err != nil {
		return nil, nil, true, fmt.Errorf("oci:%s: index.json: %w", root, err)
	}
	return ix, raw, true, nil
}

// readSmallFile reads a file that must be small (index.json, a manifest),
// refusing one larger than maxManifestSize.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", errdefs.ErrInvalidManifest, path, maxManifestSize)
	}
	return b, nil
}
