package layout

import (
	"context"
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
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Destination writes one image (or index and its instances) into an OCI
// layout, keeping every other image in it, so that a failed copy leaves
// the path as it was:
//
//   - A new layout is built in a temporary directory beside the path
//     (.ferry-tmp-PID-RANDOM) and renamed to it in Commit; a failed copy
//     removes it, and the next copy into that directory removes what a
//     killed one left.
//   - An existing layout gets its blobs in place, each under its final
//     name only once complete, recorded first in this writer's journal
//     (see ocilayout.Journal); index.json changes only in Commit, under
//     the layout lock, by an atomic rename. Close without Commit removes
//     the blobs this writer added that no image and no other writer needs.
type Destination struct {
	final  string // the layout's path
	shared string // the shared blob directory, if any (Config.SharedBlobDir)
	ref    string
	want   digest.Digest // the digest the reference names, if any
	name   string
	log    *slog.Logger

	mu        sync.Mutex
	lay       *ocilayout.Layout  // where blobs go: final, or staging
	staging   string             // the temporary directory of a new layout ("" in place)
	journal   *ocilayout.Journal // in place only
	touched   map[digest.Digest]bool
	top       *ocispec.Descriptor
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

// OpenDestination prepares the layout r names for writing: a missing path
// gets a temporary layout beside it; an existing one must be a directory
// whose index.json, if any, parses, so that a broken layout is reported
// now rather than overwritten later. r.NewDestination does the same behind
// the transport.Destination interface.
func OpenDestination(ctx context.Context, r *Reference, o *transport.Options) (*Destination, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := transport.FullName(r)
	if r.Index >= 0 {
		return nil, fmt.Errorf("%s: %w: @N picks an image to read; to write, name it as oci:PATH:REF", name, errdefs.ErrInvalidReference)
	}
	d := &Destination{final: r.Path, shared: r.SharedBlobDir, ref: r.Ref, want: r.Digest, name: name, log: o.Log(), touched: map[digest.Digest]bool{}}
	st, err := os.Stat(r.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = d.openStaging()
	case err != nil:
	case !st.IsDir():
		err = fmt.Errorf("%w: %s exists and is not a directory", errdefs.ErrInvalidArgument, r.Path)
	default:
		err = d.openInPlace(ctx, r.layout(r.Path))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// openStaging starts a new layout in a temporary directory beside the
// path, after removing those of killed copies.
func (d *Destination) openStaging() error {
	parent := filepath.Dir(d.final)
	if err := os.MkdirAll(parent, fsutil.DirPerm); err != nil {
		return err
	}
	if n := fsutil.RemoveStale(parent); n > 0 {
		d.log.Debug("oci: removed temporary layouts of interrupted copies", "dir", parent, "count", n)
	}
	dir, err := fsutil.MkdirTemp(parent)
	if err != nil {
		return err
	}
	if err := os.Chmod(dir, fsutil.DirPerm); err != nil {
		os.RemoveAll(dir)
		return err
	}
	lay := ocilayout.AtShared(dir, d.shared)
	if err := lay.Init(); err != nil {
		os.RemoveAll(dir)
		return err
	}
	d.lay, d.staging = lay, dir
	return nil
}

// openInPlace prepares an existing directory: its index.json must parse;
// the blobs and journals of killed writers are cleaned up; this writer's
// journal starts. The oci-layout file is written only in Commit, so a
// failed copy into an empty directory leaves no half layout.
func (d *Destination) openInPlace(ctx context.Context, lay *ocilayout.Layout) error {
	if _, err := lay.CheckLayoutFile(); err != nil {
		return err
	}
	if _, _, err := lay.ReadIndex(); err != nil {
		return err
	}
	for _, dir := range []string{filepath.Join(lay.Root, ocilayout.BlobsDir), lay.Blobs.Root()} {
		if err := os.MkdirAll(dir, fsutil.DirPerm); err != nil { // the layout's own blobs/ even when empty
			return err
		}
	}
	if n := fsutil.RemoveStale(lay.Blobs.Root()); n > 0 {
		d.log.Debug("oci: removed temporary files of an interrupted copy", "count", n)
	}
	lk, err := lay.Lock(ctx)
	if err != nil {
		return err
	}
	n, err := lay.RecoverStale(ctx)
	lk.Unlock()
	if err != nil {
		d.log.Warn("oci: cannot remove the blobs of an interrupted copy", "layout", lay.Root, "err", err)
	} else if n > 0 {
		d.log.Debug("oci: removed blobs of an interrupted copy", "layout", lay.Root, "count", n)
	}
	j, err := lay.NewJournal()
	if err != nil {
		return err
	}
	d.lay, d.journal = lay, j
	return nil
}

// Capabilities: OCI manifests and indexes with compressed layers, as
// skopeo's oci: transport declares, so a Docker image is converted to OCI
// (which umoci and other OCI tools require). A copy that may not change
// the manifest (--preserve-digests, signatures kept) still stores a
// Docker manifest as it is, as skopeo does.
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{
		ManifestTypes:   []string{manifest.MediaTypeOCIManifest, manifest.MediaTypeOCIIndex},
		WantsCompressed: true,
		KeepsDigests:    true,
	}
}

// HasBlob reports whether blobs/ALG/HEX exists with the expected size.
func (d *Destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	lay, err := d.claim(ctx, desc.Digest)
	if err != nil {
		return false, err
	}
	ok, err := lay.Blobs.Has(ctx, desc)
	if err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	return ok, nil
}

// PutBlob streams r into blobs/ALG/HEX (see blobstore.Store.Put). It does
// not hash: the caller's reader verifies the digest and fails at the end
// when it is wrong (see transport.Destination).
func (d *Destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	lay, err := d.claim(ctx, desc.Digest)
	if err != nil {
		return err
	}
	if err := lay.Blobs.Put(ctx, desc, r); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// PutBlobFile stores a complete, verified blob file by hard-linking it into
// blobs/ (no bytes copied), or by copying it when it lives on another file
// system. It implements transport.BlobFileDestination.
func (d *Destination) PutBlobFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	lay, err := d.claim(ctx, desc.Digest)
	if err != nil {
		return err
	}
	if err := lay.Blobs.PutFile(ctx, desc, path); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// PutBlobStream stores a blob whose digest is known only at its end (see
// blobstore.Store.PutStream); it is claimed once its digest is known,
// before it gets its name.
func (d *Destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	if err := d.usable(ctx); err != nil {
		return ocispec.Descriptor{}, err
	}
	lay := d.layout()
	desc, err := lay.Blobs.PutStream(ctx, mediaType, r, func(dg digest.Digest) error {
		_, err := d.claim(ctx, dg)
		return err
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.name, err)
	}
	return desc, nil
}

// PutManifest stores a manifest as a blob. An instance (instance != nil)
// must hash to its digest and is only stored; the top manifest (instance
// nil) is remembered for Commit, which names it in index.json.
func (d *Destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
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
	lay, err := d.claim(ctx, dg)
	if err != nil {
		return err
	}
	if err := lay.Blobs.PutBytes(ctx, dg, b); err != nil {
		return fmt.Errorf("%s: manifest: %w", d.name, err)
	}
	if instance == nil && d.want != "" && dg != d.want {
		return fmt.Errorf("%s: %w: the manifest has digest %s", d.name, errdefs.ErrDigestMismatch, dg)
	}
	if instance == nil {
		d.mu.Lock()
		d.top = &ocispec.Descriptor{MediaType: mediaType, Digest: dg, Size: int64(len(b))}
		d.mu.Unlock()
	}
	return nil
}

// claim checks that the destination is usable, records dg in the journal
// (before the blob is looked at or stored) and returns where blobs go.
func (d *Destination) claim(ctx context.Context, dg digest.Digest) (*ocilayout.Layout, error) {
	if err := dg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: digest %q: %v", d.name, errdefs.ErrInvalidArgument, dg, err)
	}
	if err := d.usable(ctx); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.journal != nil {
		if err := d.journal.Claim(dg); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
	}
	d.touched[dg] = true
	return d.lay, nil
}

func (d *Destination) layout() *ocilayout.Layout {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lay
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
