package dir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Destination writes a dir: image. Like skopeo it refuses a non-empty
// directory that is not a dir: image, and replaces a previous dir: image;
// unlike skopeo, nothing is visible before Commit and a failed copy leaves
// the path as it was:
//
//   - every file of the new image is written into a staging directory
//     (.ferry-tmp-PID-RANDOM): beside the path when the path does not
//     exist, inside it when it does;
//   - Commit renames a new staging directory to the path, or, under the
//     directory's lock (manifest.json.lock), moves the staged files into
//     it, manifest.json last, and removes the previous image's files;
//   - Close without Commit removes the staging directory, and the next
//     copy removes those of killed copies.
//
// Concurrent writers into one directory each stage their own files and
// commit one at a time, so the last commit wins whole.
type Destination struct {
	root string // the directory
	name string
	log  *slog.Logger

	mu      sync.Mutex
	staging *blobstore.Store // the staged image's files
	beside  bool             // staging sits beside root (root did not exist)
	top     []byte
	topSet  bool
	done    bool // committed or closed
}

var (
	_ transport.Destination          = (*Destination)(nil)
	_ transport.StreamingDestination = (*Destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	d, err := OpenDestination(ctx, r, o)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// OpenDestination prepares r's directory for writing, following skopeo's
// rules: a missing directory is created (at Commit), an empty one is used,
// one holding a dir: image (a version file with the expected content) will
// be replaced, and any other non-empty directory is refused so that data is
// never destroyed by a mistyped path. r.NewDestination does the same
// behind the transport.Destination interface.
func OpenDestination(ctx context.Context, r *Reference, o *transport.Options) (*Destination, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &Destination{root: r.Path, name: transport.FullName(r), log: o.Log()}
	st, err := os.Stat(r.Path)
	parent := r.Path
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent = filepath.Dir(r.Path)
		d.beside = true
		if err := os.MkdirAll(parent, fsutil.DirPerm); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", d.name, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%s: %w: %s exists and is not a directory", d.name, errdefs.ErrInvalidArgument, r.Path)
	default:
		if err := checkReplaceable(r.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
	}
	if n := fsutil.RemoveStale(parent); n > 0 {
		d.log.Debug("dir: removed temporary files of an interrupted copy", "dir", parent, "count", n)
	}
	staging, err := fsutil.MkdirTemp(parent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	if err := os.Chmod(staging, fsutil.DirPerm); err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	d.staging = blobstore.New(staging, blobstore.ByEncoded)
	if err := fsutil.WriteFile(filepath.Join(staging, versionFile), []byte(versionContent)); err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	return d, nil
}

// checkReplaceable accepts an empty directory or one holding a dir: image;
// ferry's own temporary files and lock do not count.
func checkReplaceable(path string) error {
	ents, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	empty := true
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), fsutil.TempPrefix) && e.Name() != lockFile {
			empty = false
		}
	}
	if empty {
		return nil
	}
	v, err := os.ReadFile(filepath.Join(path, versionFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s is not empty and holds no dir: image (it has no version file); refusing to overwrite it", errdefs.ErrInvalidArgument, path)
	}
	if err != nil {
		return err
	}
	if string(v) != versionContent {
		return fmt.Errorf("%w: %s holds a version file with %q, not a dir: image ferry knows; refusing to overwrite it", errdefs.ErrInvalidArgument, path, v)
	}
	return nil
}

// Capabilities: any manifest type, stored byte for byte, and signatures.
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{KeepsDigests: true, Signatures: true}
}

// HasBlob reports whether the blob is staged already or is a file of the
// expected size in the directory; a file of the previous image is then
// hard-linked into the staging directory, so it is part of the new image
// whatever another writer does to the directory meanwhile.
func (d *Destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	staging, err := d.usable(ctx)
	if err != nil {
		return false, err
	}
	if ok, err := staging.Has(ctx, desc); ok || err != nil {
		return ok, d.wrap(err)
	}
	if d.beside {
		return false, nil
	}
	prev := blobstore.New(d.root, blobstore.ByEncoded)
	ok, err := prev.Has(ctx, desc)
	if !ok || err != nil {
		return false, d.wrap(err)
	}
	p, _ := prev.Path(desc.Digest)
	if err := staging.PutFile(ctx, desc, p); err != nil {
		// Gone meanwhile (another writer replaced the image): send it.
		return false, nil
	}
	return true, nil
}

// PutBlob streams r into the staging directory (see blobstore.Store.Put).
// It does not hash: the caller's reader verifies the digest and fails at
// the end when it is wrong (see transport.Destination).
func (d *Destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	staging, err := d.usable(ctx)
	if err != nil {
		return err
	}
	return d.wrap(staging.Put(ctx, desc, r))
}

// PutBlobFile stores a complete, verified blob file by hard-linking it into
// the staging directory (no bytes copied), or by copying it when it lives
// on another file system. It implements transport.BlobFileDestination.
func (d *Destination) PutBlobFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	staging, err := d.usable(ctx)
	if err != nil {
		return err
	}
	return d.wrap(staging.PutFile(ctx, desc, path))
}

// PutBlobStream stores a blob whose digest is known only at its end (see
// blobstore.Store.PutStream).
func (d *Destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	staging, err := d.usable(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := staging.PutStream(ctx, mediaType, r, nil)
	return desc, d.wrap(err)
}

// PutManifest stages an instance as HEX.manifest.json at once (it must
// hash to its digest); the top manifest (instance nil) is kept for Commit,
// which writes manifest.json last. The media type is not recorded: the
// directory format has no place for it.
func (d *Destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	if _, err := d.usable(ctx); err != nil {
		return err
	}
	if instance == nil {
		d.mu.Lock()
		d.top, d.topSet = bytes.Clone(b), true
		d.mu.Unlock()
		return nil
	}
	if err := verify.Bytes(b, *instance, -1); err != nil {
		return fmt.Errorf("%s: manifest %s: %w", d.name, *instance, err)
	}
	name, err := instanceName(*instance)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return d.writeFile(ctx, name, b)
}

// usable fails once ctx is done or the destination is committed or closed;
// otherwise it returns the staging store.
func (d *Destination) usable(ctx context.Context) (*blobstore.Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return nil, fmt.Errorf("%s: %w: destination is already committed or closed", d.name, errdefs.ErrInvalidArgument)
	}
	return d.staging, nil
}

// writeFile stages b as name (a manifest, a signature) through a
// temporary file.
func (d *Destination) writeFile(ctx context.Context, name string, b []byte) error {
	staging, err := d.usable(ctx)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(staging.Root(), name), b); err != nil {
		return fmt.Errorf("%s: %s: %w", d.name, name, err)
	}
	return nil
}

// wrap prefixes an error with the destination's name.
func (d *Destination) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", d.name, err)
}
