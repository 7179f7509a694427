package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

var _ transport.ManifestChecker = (*Destination)(nil)

// HasManifest reports whether the directory already holds a dir: image
// whose manifest.json is the manifest with digest d. manifest.json is
// written last, so its presence means the image is complete.
func (d *Destination) HasManifest(ctx context.Context, dg digest.Digest) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !dg.Algorithm().Available() {
		return false, nil
	}
	b, err := readSmallFile(filepath.Join(d.root, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	return dg.Algorithm().FromBytes(b) == dg, nil
}
