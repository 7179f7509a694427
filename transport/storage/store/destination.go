package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/storage"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// destination writes an image into the store. Blobs are spooled to a
// private temporary directory as they arrive (verified against their
// digest and size); Commit applies the layers to the store in order,
// each under its chain ID as containers/image names layers, reusing
// those the store holds, then creates the image with its manifest,
// config and signatures and gives it its name. Nothing reaches the store
// before Commit, and a Commit that fails removes what it made, so the
// image appears whole or not at all.
type destination struct {
	name string
	ref  *storage.Reference
	st   *sharedStore
	log  *slog.Logger
	dir  string // the spool

	mu       sync.Mutex
	blobs    map[digest.Digest]string // spooled blob -> file
	manifest []byte
	mt       string
	sigs     [][]byte
	sigsSet  bool
}

var (
	_ transport.Destination          = (*destination)(nil)
	_ transport.SignatureDestination = (*destination)(nil)
)

func newDestination(ctx context.Context, r *storage.Reference, o *transport.Options) (transport.Destination, error) {
	if r.Named == nil && r.ID == "" {
		return nil, fmt.Errorf("%w: containers-storage: a destination needs a name or an image ID", errdefs.ErrInvalidReference)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := openStore(r.Store, o.Log())
	if err != nil {
		return nil, err
	}
	tmp := ""
	if o != nil {
		tmp = o.TmpDir
	}
	dir, err := os.MkdirTemp(tmp, "ferry-storage-")
	if err != nil {
		st.release()
		return nil, fmt.Errorf("containers-storage: creating a temporary directory: %w", err)
	}
	return &destination{
		name:  "containers-storage:" + r.String(),
		ref:   r,
		st:    st,
		log:   o.Log(),
		dir:   dir,
		blobs: map[digest.Digest]string{},
	}, nil
}

// Capabilities: single images (a list is resolved to one instance, as
// skopeo does), manifests kept byte for byte, signatures stored with the
// image; layers taken in whatever compression they come in, since the
// store unpacks them.
func (d *destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{
		ManifestTypes: []string{manifest.MediaTypeOCIManifest, manifest.MediaTypeDockerManifest},
		NoIndex:       true,
		KeepsDigests:  true,
		Signatures:    true,
	}
}

// HasBlob reports a blob spooled already, or a layer the store holds
// (found by the digest of the blob it was made from, or of its
// uncompressed tar): Commit then builds on the stored layer.
func (d *destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	if err := desc.Digest.Validate(); err != nil {
		return false, fmt.Errorf("%w: %s: blob %q: %v", errdefs.ErrInvalidArgument, d.name, desc.Digest, err)
	}
	d.mu.Lock()
	_, ok := d.blobs[desc.Digest]
	d.mu.Unlock()
	if ok {
		return true, nil
	}
	if !isLayer(desc.MediaType) {
		return false, nil
	}
	l, err := d.storedLayer(desc.Digest)
	return l != nil, err
}

// PutBlob spools a blob, keeping it only if r reads to the end and the
// content matches desc.
func (d *destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) (err error) {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: %s: blob %q: %v", errdefs.ErrInvalidArgument, d.name, desc.Digest, err)
	}
	f, err := os.CreateTemp(d.dir, "blob-")
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := desc.Digest.Algorithm().Hash()
	n, err := io.Copy(io.MultiWriter(f, h), readerWithContext(ctx, r))
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	if got := digest.NewDigest(desc.Digest.Algorithm(), h); got != desc.Digest {
		return fmt.Errorf("%w: %s: blob %s: got %s", errdefs.ErrDigestMismatch, d.name, desc.Digest, got)
	}
	if desc.Size >= 0 && n != desc.Size {
		return fmt.Errorf("%w: %s: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, d.name, desc.Digest, n, desc.Size)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.blobs[desc.Digest]; ok {
		os.Remove(old)
	}
	d.blobs[desc.Digest] = f.Name()
	return nil
}

// PutManifest keeps the image's manifest for Commit.
func (d *destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	if instance != nil {
		return fmt.Errorf("%w: %s: the store holds single images, not an index's instances", errdefs.ErrNotSupported, d.name)
	}
	mt := manifest.Normalize(mediaType)
	if !manifest.IsImage(mt) {
		return &transport.ManifestTypeError{MediaType: mt, Err: fmt.Errorf("%s: the store takes OCI and Docker schema-2 image manifests", d.name)}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.manifest, d.mt = append([]byte(nil), b...), mt
	return nil
}

// PutSignatures keeps the image's signatures for Commit.
func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance *digest.Digest) error {
	if instance != nil {
		return fmt.Errorf("%w: %s: the store holds single images, not an index's instances", errdefs.ErrNotSupported, d.name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sigs, d.sigsSet = sigs, true
	return nil
}

// spooled returns the file holding blob dg, "" if none.
func (d *destination) spooled(dg digest.Digest) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.blobs[dg]
}

// Close removes the spool and releases the store; an image not committed
// never reached the store.
func (d *destination) Close() error {
	err := os.RemoveAll(d.dir)
	d.st.release()
	return err
}

// isLayer tells layer media types from configs and other blobs.
func isLayer(mt string) bool {
	switch manifest.Normalize(mt) {
	case manifest.MediaTypeOCILayer, manifest.MediaTypeOCILayerGz, manifest.MediaTypeOCILayerZst,
		manifest.MediaTypeOCINondistLayer, manifest.MediaTypeOCINondistLayerGz,
		manifest.MediaTypeDockerLayer, manifest.MediaTypeDockerLayerPlain, manifest.MediaTypeDockerForeignLayer:
		return true
	}
	return false
}

// readerWithContext stops reading once ctx ends.
func readerWithContext(ctx context.Context, r io.Reader) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return r.Read(p)
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

var errNoLayer = errors.New("no such layer")
