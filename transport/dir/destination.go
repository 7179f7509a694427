package dir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Destination writes a dir: image. Like skopeo it refuses a non-empty
// directory that is not a dir: image, and replaces a previous dir: image;
// unlike skopeo it removes the previous image only in Commit, after the
// new manifest.json is in place, so a failed copy leaves the old image
// whole. Every file appears under its final name only once complete.
type Destination struct {
	root string
	name string
	log  *slog.Logger

	mu      sync.Mutex
	created bool            // the directory did not exist
	keep    map[string]bool // files of the image being written
	added   map[string]bool // files this destination created (undone by Close without Commit)
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
// rules: a missing directory is created, an empty one is used, one holding
// a dir: image (a version file with the expected content) will be
// replaced, and any other non-empty directory is refused so that data is
// never destroyed by a mistyped path. r.NewDestination does the same
// behind the transport.Destination interface.
func OpenDestination(ctx context.Context, r *Reference, o *transport.Options) (*Destination, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &Destination{root: r.Path, name: transport.FullName(r), log: o.Log(), keep: map[string]bool{}, added: map[string]bool{}}
	st, err := os.Stat(r.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(r.Path, fsutil.DirPerm); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		d.created = true
	case err != nil:
		return nil, fmt.Errorf("%s: %w", d.name, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%s: %w: %s exists and is not a directory", d.name, errdefs.ErrInvalidArgument, r.Path)
	}
	if n := fsutil.RemoveStale(r.Path); n > 0 {
		d.log.Debug("dir: removed temporary files of an interrupted copy", "count", n)
	}
	ents, err := os.ReadDir(r.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	if len(ents) > 0 {
		v, err := os.ReadFile(filepath.Join(r.Path, versionFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w: %s is not empty and holds no dir: image (it has no version file); refusing to overwrite it", d.name, errdefs.ErrInvalidArgument, r.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		if string(v) != versionContent {
			return nil, fmt.Errorf("%s: %w: %s holds a version file with %q, not a dir: image ferry knows; refusing to overwrite it", d.name, errdefs.ErrInvalidArgument, r.Path, v)
		}
		d.log.Debug("dir: replacing the image in place", "path", r.Path)
		return d, nil
	}
	// A fresh directory gets its version file now, as skopeo does, so that
	// a copy interrupted before Commit can be retried into it.
	if err := fsutil.WriteFile(filepath.Join(r.Path, versionFile), []byte(versionContent)); err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	d.added[versionFile] = true
	return d, nil
}

// Capabilities: any manifest type, stored byte for byte, and signatures.
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{KeepsDigests: true, Signatures: true}
}

// HasBlob reports whether the blob's file exists with the expected size;
// if so it becomes part of the image being written.
func (d *Destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	name, err := blobName(desc.Digest)
	if err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	st, err := os.Stat(filepath.Join(d.root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	if !st.Mode().IsRegular() || (desc.Size >= 0 && st.Size() != desc.Size) {
		return false, nil
	}
	d.mu.Lock()
	d.keep[name] = true
	d.mu.Unlock()
	return true, nil
}

// PutBlob streams r to a temporary file and renames it to the blob's name
// only once r has returned io.EOF with the expected size. It does not
// hash: the caller's reader verifies the digest and fails at the end when
// it is wrong (see transport.Destination).
func (d *Destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	name, err := blobName(desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := d.usable(ctx); err != nil {
		return err
	}
	tmp, err := fsutil.NewTemp(d.root)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	defer tmp.Discard()
	n, err := tmp.CopyFrom(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	if desc.Size >= 0 && n != desc.Size {
		return fmt.Errorf("%s: blob %s: %w: got %d bytes, want %d", d.name, desc.Digest, errdefs.ErrSizeMismatch, n, desc.Size)
	}
	return d.place(tmp, name)
}

// PutBlobFile stores a complete, verified blob file by hard-linking it into
// the directory (no bytes copied), or by copying it when it lives on
// another file system. It implements transport.BlobFileDestination.
func (d *Destination) PutBlobFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	name, err := blobName(desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := d.usable(ctx); err != nil {
		return err
	}
	tmp, err := fsutil.NewTempLink(d.root, path)
	if err != nil {
		return d.copyBlobFile(ctx, desc, path)
	}
	defer tmp.Discard()
	if desc.Size >= 0 && tmp.Size() != desc.Size {
		return fmt.Errorf("%s: blob %s: %w: got %d bytes, want %d", d.name, desc.Digest, errdefs.ErrSizeMismatch, tmp.Size(), desc.Size)
	}
	return d.place(tmp, name)
}

func (d *Destination) copyBlobFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	defer f.Close()
	return d.PutBlob(ctx, desc, f)
}

// PutBlobStream stores a blob whose digest is known only at its end: it
// streams r to a temporary file while hashing it (sha256) and renames the
// file to the digest it computed.
func (d *Destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	if err := d.usable(ctx); err != nil {
		return ocispec.Descriptor{}, err
	}
	tmp, err := fsutil.NewTemp(d.root)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.name, err)
	}
	defer tmp.Discard()
	h := sha256.New()
	n, err := tmp.CopyFrom(ctx, io.TeeReader(r, h))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: blob: %w", d.name, err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.NewDigest(digest.SHA256, h), Size: n}
	if err := d.place(tmp, desc.Digest.Encoded()); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

// PutManifest writes an instance as HEX.manifest.json at once (it must
// hash to its digest); the top manifest (instance nil) is kept for Commit,
// which writes manifest.json last. The media type is not recorded: the
// directory format has no place for it.
func (d *Destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	if err := d.usable(ctx); err != nil {
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

// Commit writes manifest.json (atomically, last, after making sure of the
// version file), then removes whatever the directory held that is not part
// of the new image: the previous image's blobs, manifests and signatures.
func (d *Destination) Commit(ctx context.Context) error {
	if err := d.usable(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	top, topSet := d.top, d.topSet
	d.mu.Unlock()
	if !topSet {
		return fmt.Errorf("%s: %w: Commit before PutManifest", d.name, errdefs.ErrInvalidArgument)
	}
	v, err := os.ReadFile(filepath.Join(d.root, versionFile))
	if err != nil || string(v) != versionContent {
		if err := d.writeFile(ctx, versionFile, []byte(versionContent)); err != nil {
			return err
		}
	}
	if err := fsutil.SyncDir(d.root); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := d.writeFile(ctx, manifestFile, top); err != nil {
		return err
	}
	if err := fsutil.SyncDir(d.root); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.mu.Lock()
	d.done = true
	keep := d.keep
	d.mu.Unlock()
	d.removeAllBut(keep)
	d.log.Debug("dir: committed", "path", d.root, "digest", digest.FromBytes(top))
	return nil
}

// removeAllBut removes every entry of the directory not in keep. The new
// image is already committed, so a failure here leaves stale files, not a
// broken image: it is logged, not returned.
func (d *Destination) removeAllBut(keep map[string]bool) {
	ents, err := os.ReadDir(d.root)
	if err != nil {
		d.log.Warn("dir: cannot list the directory to remove the previous image's files", "path", d.root, "err", err)
		return
	}
	for _, e := range ents {
		if keep[e.Name()] || e.Name() == versionFile || e.Name() == manifestFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(d.root, e.Name())); err != nil {
			d.log.Warn("dir: cannot remove a file of the previous image", "path", filepath.Join(d.root, e.Name()), "err", err)
			continue
		}
		d.log.Debug("dir: removed a file of the previous image", "path", filepath.Join(d.root, e.Name()))
	}
}

// Close ends the destination. Without Commit, it removes every file it
// created, and the directory too if it created it, so a failed copy leaves
// the directory as it found it (a previous image stays whole).
func (d *Destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return nil
	}
	d.done = true
	names := make([]string, 0, len(d.added))
	for name := range d.added {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		if err := os.Remove(filepath.Join(d.root, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if d.created {
		if err := os.Remove(d.root); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: undo an uncommitted write: %w", d.name, err)
	}
	return nil
}

// usable fails once ctx is done or the destination is committed or closed.
func (d *Destination) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return fmt.Errorf("%s: %w: destination is already committed or closed", d.name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// writeFile stores b as root/name through a temporary file.
func (d *Destination) writeFile(ctx context.Context, name string, b []byte) error {
	tmp, err := fsutil.NewTemp(d.root)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	defer tmp.Discard()
	if _, err := tmp.CopyFrom(ctx, bytes.NewReader(b)); err != nil {
		return fmt.Errorf("%s: %s: %w", d.name, name, err)
	}
	return d.place(tmp, name)
}

// place renames a complete temporary file to root/name and records name
// as part of the new image (and as created here, when it did not exist).
func (d *Destination) place(tmp *fsutil.Temp, name string) error {
	existed, err := exists(d.root, name)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := tmp.Commit(filepath.Join(d.root, name)); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.mu.Lock()
	d.keep[name] = true
	if !existed {
		d.added[name] = true
	}
	d.mu.Unlock()
	return nil
}
