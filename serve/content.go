package serve

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// content is what a registry serves: an index.json naming images, and
// blobs by digest. The layout, the oci-archive and the docker-archive
// each provide one.
type content interface {
	// index returns the current index.json and a version that changes
	// whenever it does (so what is derived from it can be cached).
	index(ctx context.Context) (ix *ocispec.Index, version string, err error)
	// open opens blob d for reading; a missing one is errdefs.ErrNotFound.
	open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, int64, error)
	close() error
}

// maxManifest bounds a manifest, pushed or read, as distribution does.
const maxManifest = 4 << 20

// readManifest reads the manifest d from c whole, verified; one that is
// larger than maxManifest is refused before it is read.
func readManifest(ctx context.Context, c content, d digest.Digest) ([]byte, error) {
	rc, size, err := c.open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxManifest {
		return nil, newError(http.StatusNotFound, codeManifestUnknown, fmt.Sprintf("manifest %s is %d bytes, more than a manifest may have", d, size))
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d, err)
	}
	if err := verify.Bytes(b, d, size); err != nil {
		return nil, fmt.Errorf("manifest %s in the store: %w", d, err)
	}
	return b, nil
}

// notFound turns errdefs.ErrNotFound into the spec's code for what was
// looked for.
func notFound(err error, code, message string) error {
	if errdefs.IsNotFound(err) {
		return newError(http.StatusNotFound, code, message)
	}
	return err
}
