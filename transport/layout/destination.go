package layout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutFileContent is the oci-layout file ferry writes (image-layout.md
// "oci-layout file"), byte for byte what skopeo writes.
const layoutFileContent = `{"imageLayoutVersion":"1.0.0"}`

// Destination writes one image (or index and its instances) into an OCI
// layout, creating the layout if needed and keeping every other image in
// it. Blobs appear under their final names only once complete; index.json
// changes only in Commit, under a lock, by an atomic rename.
type Destination struct {
	root string
	ref  string
	name string
	log  *slog.Logger

	mu        sync.Mutex
	top       *ocispec.Descriptor
	algs      map[digest.Algorithm]bool // blobs/ALG directories written to
	committed bool
	closed    bool
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

// OpenDestination prepares the layout r names for writing: the directory,
// its oci-layout file and blobs directory are created when missing; an
// existing index.json must parse, so that a broken layout is reported now
// rather than overwritten later. r.NewDestination does the same behind the
// transport.Destination interface.
func OpenDestination(ctx context.Context, r *Reference, o *transport.Options) (*Destination, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := transport.FullName(r)
	if r.Index >= 0 {
		return nil, fmt.Errorf("%s: %w: @N picks an image to read; to write, name it as oci:PATH:REF", name, errdefs.ErrInvalidReference)
	}
	st, err := os.Stat(r.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(r.Path, fsutil.DirPerm); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%s: %w: %s exists and is not a directory", name, errdefs.ErrInvalidArgument, r.Path)
	}
	present, err := checkLayoutFile(r.Path)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := readIndex(r.Path); err != nil {
		return nil, err
	}
	if !present {
		if err := fsutil.WriteFile(filepath.Join(r.Path, layoutFile), []byte(layoutFileContent)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(r.Path, blobsDir), fsutil.DirPerm); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if n := fsutil.RemoveStale(filepath.Join(r.Path, blobsDir)); n > 0 {
		o.Log().Debug("oci: removed temporary files of an interrupted copy", "count", n)
	}
	return &Destination{root: r.Path, ref: r.Ref, name: name, log: o.Log(), algs: map[digest.Algorithm]bool{}}, nil
}

// Capabilities: OCI types first; Docker schema-2 types are stored as they
// are (the layout holds any blob, and skopeo reads them back), so digests
// survive.
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{
		ManifestTypes: []string{
			manifest.MediaTypeOCIManifest, manifest.MediaTypeOCIIndex,
			manifest.MediaTypeDockerManifest, manifest.MediaTypeDockerList,
		},
		KeepsDigests: true,
	}
}

// HasBlob reports whether blobs/ALG/HEX exists with the expected size.
func (d *Destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := blobPath(d.root, desc.Digest)
	if err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	return st.Mode().IsRegular() && (desc.Size < 0 || st.Size() == desc.Size), nil
}

// PutBlob streams r to a temporary file in blobs/ and renames it to
// blobs/ALG/HEX only once r has returned io.EOF with the expected size. It
// does not hash: the caller's reader verifies the digest and fails at the
// end when it is wrong (see transport.Destination).
func (d *Destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	p, err := blobPath(d.root, desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := d.usable(ctx); err != nil {
		return err
	}
	tmp, err := d.newTemp(desc.Digest.Algorithm())
	if err != nil {
		return err
	}
	defer tmp.Discard()
	n, err := tmp.CopyFrom(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	if desc.Size >= 0 && n != desc.Size {
		return fmt.Errorf("%s: blob %s: %w: got %d bytes, want %d", d.name, desc.Digest, errdefs.ErrSizeMismatch, n, desc.Size)
	}
	if err := tmp.Commit(p); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// PutBlobFile stores a complete, verified blob file by hard-linking it into
// blobs/ (no bytes copied), or by copying it when it lives on another file
// system. It implements transport.BlobFileDestination.
func (d *Destination) PutBlobFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	p, err := blobPath(d.root, desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := d.usable(ctx); err != nil {
		return err
	}
	tmp, err := d.newTempFrom(desc.Digest.Algorithm(), path)
	if err != nil {
		return d.copyBlobFile(ctx, desc, path)
	}
	defer tmp.Discard()
	if desc.Size >= 0 && tmp.Size() != desc.Size {
		return fmt.Errorf("%s: blob %s: %w: got %d bytes, want %d", d.name, desc.Digest, errdefs.ErrSizeMismatch, tmp.Size(), desc.Size)
	}
	if err := tmp.Commit(p); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
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
	tmp, err := d.newTemp(digest.SHA256)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer tmp.Discard()
	h := sha256.New()
	n, err := tmp.CopyFrom(ctx, io.TeeReader(r, h))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: blob: %w", d.name, err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.NewDigest(digest.SHA256, h), Size: n}
	p, err := blobPath(d.root, desc.Digest)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.name, err)
	}
	if err := tmp.Commit(p); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.name, err)
	}
	return desc, nil
}

// PutManifest stores a manifest as a blob. An instance (instance != nil)
// must hash to its digest and is only stored; the top manifest (instance
// nil) is remembered for Commit, which names it in index.json.
func (d *Destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	if err := d.usable(ctx); err != nil {
		return err
	}
	dg := digest.FromBytes(b)
	if instance != nil {
		if err := verify.Bytes(b, *instance, -1); err != nil {
			return fmt.Errorf("%s: manifest %s: %w", d.name, *instance, err)
		}
		dg = *instance
	}
	if mediaType == "" {
		mediaType = manifest.Detect(b)
	}
	if mediaType == "" {
		return fmt.Errorf("%s: manifest %s: %w: no media type and not a recognizable manifest", d.name, dg, errdefs.ErrInvalidManifest)
	}
	p, err := blobPath(d.root, dg)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	tmp, err := d.newTemp(dg.Algorithm())
	if err != nil {
		return err
	}
	defer tmp.Discard()
	if _, err := tmp.CopyFrom(ctx, bytes.NewReader(b)); err != nil {
		return fmt.Errorf("%s: manifest %s: %w", d.name, dg, err)
	}
	if err := tmp.Commit(p); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if instance == nil {
		d.mu.Lock()
		d.top = &ocispec.Descriptor{MediaType: mediaType, Digest: dg, Size: int64(len(b))}
		d.mu.Unlock()
	}
	return nil
}

// Commit names the top manifest in index.json: under the layout's lock it
// re-reads index.json (another writer may have changed it since Open),
// adds or replaces this image's entry (see AddEntry) and replaces the file
// atomically. Blob names are fsynced first, so index.json never names a
// blob a crash could lose.
func (d *Destination) Commit(ctx context.Context) error {
	if err := d.usable(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.top == nil {
		return fmt.Errorf("%s: %w: Commit before PutManifest", d.name, errdefs.ErrInvalidArgument)
	}
	for alg := range d.algs {
		if err := fsutil.SyncDir(filepath.Join(d.root, blobsDir, alg.String())); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	unlock, err := lockPath(ctx, filepath.Join(d.root, lockFile))
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	defer unlock()
	ix, _, exists, err := readIndex(d.root)
	if err != nil {
		return err
	}
	if !exists {
		ix = NewIndex()
	}
	AddEntry(ix, *d.top, d.ref)
	b, err := json.Marshal(ix)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if present, err := checkLayoutFile(d.root); err != nil {
		return err
	} else if !present {
		if err := fsutil.WriteFile(filepath.Join(d.root, layoutFile), []byte(layoutFileContent)); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	if err := fsutil.WriteFile(filepath.Join(d.root, indexFile), b); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if err := fsutil.SyncDir(d.root); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.committed = true
	d.log.Debug("oci: committed", "layout", d.root, "ref", d.ref, "digest", d.top.Digest)
	return nil
}

// Close ends the destination. Without Commit, index.json is as it was:
// temporary files are already gone (each write removes its own on
// failure), and blobs already stored are harmless, content-addressed files.
func (d *Destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

// usable fails once ctx is done or the destination is closed or committed.
func (d *Destination) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return fmt.Errorf("%s: %w: destination is closed", d.name, errdefs.ErrInvalidArgument)
	case d.committed:
		return fmt.Errorf("%s: %w: destination is already committed", d.name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// newTemp starts a temporary file in blobs/ (so the final rename stays on
// one file system) and makes sure blobs/ALG exists for it.
func (d *Destination) newTemp(alg digest.Algorithm) (*fsutil.Temp, error) {
	return d.newTempFrom(alg, "")
}

// newTempFrom makes a temporary file in blobs/: empty, or a hard link to
// linkFrom when that is set.
func (d *Destination) newTempFrom(alg digest.Algorithm, linkFrom string) (*fsutil.Temp, error) {
	if err := os.MkdirAll(filepath.Join(d.root, blobsDir, alg.String()), fsutil.DirPerm); err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	d.mu.Lock()
	d.algs[alg] = true
	d.mu.Unlock()
	if linkFrom != "" {
		return fsutil.NewTempLink(filepath.Join(d.root, blobsDir), linkFrom)
	}
	t, err := fsutil.NewTemp(filepath.Join(d.root, blobsDir))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	return t, nil
}
