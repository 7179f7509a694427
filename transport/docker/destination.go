package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Destination writes an image to a registry. A registry has no
// transactions: blobs are invisible until a manifest refers to them, and
// the image appears when PutManifest tags it, so Commit has nothing left
// to do. It implements transport.BlobMounter (cross-repository mounts on
// the same registry) and transport.StreamingDestination.
type Destination struct {
	ref  *Reference
	name string
	repo string
	c    *registry.Client
	log  *slog.Logger
	// release closes a pool made for this destination alone.
	release func() error

	// hintMisses counts mounts from recorded locations that failed in a
	// row; past maxHintMisses with none working, the record is not tried
	// again in this copy (a registry that does not mount, or stale hints).
	hintMu     sync.Mutex
	hintMisses int
	hintHits   int

	sigs destinationSignatures
}

// Bounds on mounts tried from the hint record.
const (
	maxHintCandidates = 3 // repositories tried per blob
	maxHintMisses     = 4 // failures in a row before giving up on hints
)

var (
	_ transport.Destination          = (*Destination)(nil)
	_ transport.BlobMounter          = (*Destination)(nil)
	_ transport.StreamingDestination = (*Destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	cfg := r.config()
	c, release, err := cfg.client(r.named, o, registry.ForPush(), registry.WithChunkSize(cfg.ChunkSize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	d := &Destination{ref: r, name: reference.Familiar(r.named), repo: reference.Path(r.named), c: c, log: o.Log(), release: release}
	if err := d.sigs.init(ctx, r, c, d.log); err != nil {
		release()
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	return d, nil
}

// Capabilities implements transport.Destination: any manifest type, kept
// byte for byte; uncompressed layers are compressed on the way in, as
// skopeo does, since registries serve them to pull over the network.
// Signatures are stored where the registry or registries.d allow (see
// signatures.go).
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{KeepsDigests: true, WantsCompressed: true, Signatures: d.sigs.writable}
}

// HasBlob implements transport.Destination.
func (d *Destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	ok, err := d.c.HeadBlob(ctx, d.repo, desc)
	if err != nil {
		return false, fmt.Errorf("%s: blob %s: %w", d.name, desc.Digest, err)
	}
	return ok, nil
}

// PutBlob implements transport.Destination.
func (d *Destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	if err := d.c.PutBlob(ctx, d.repo, desc, r); err != nil {
		return fmt.Errorf("%s: uploading blob %s: %w", d.name, desc.Digest, err)
	}
	return nil
}

// VerifiesBlobs reports that PutBlob checks the bytes against the
// descriptor's digest and size before the upload is committed (see
// registry.Client.PutBlob), so the copier need not hash them as well.
func (d *Destination) VerifiesBlobs() bool { return true }

// PutBlobStream implements transport.StreamingDestination.
func (d *Destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	desc, err := d.c.PutBlobStream(ctx, d.repo, mediaType, r)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: uploading blob: %w", d.name, err)
	}
	return desc, nil
}

// MountBlob implements transport.BlobMounter: the registry is asked to
// link the blob in from another of its repositories, without the bytes
// travelling. First from the copy's source, when from is a docker://
// reference on the same registry host; then from repositories the hint
// record saw holding the blob (earlier pulls and pushes, whatever their
// source). It reports false, nil when no mount worked, so the copier
// moves the bytes.
func (d *Destination) MountBlob(ctx context.Context, desc ocispec.Descriptor, from transport.Reference) (bool, error) {
	tried := ""
	if from != nil && from.Transport().Name() == "docker" && from.DockerReference() != nil {
		src := from.DockerReference()
		if reference.RegistryHost(src) == d.c.Host() && reference.Path(src) != d.repo {
			tried = reference.Path(src)
			ok, err := d.c.MountBlob(ctx, d.repo, tried, desc)
			if err != nil {
				return false, fmt.Errorf("%s: mounting blob %s from %s: %w", d.name, desc.Digest, tried, err)
			}
			if ok {
				return true, nil
			}
		}
	}
	return d.mountFromHints(ctx, desc, tried), nil
}

// mountFromHints tries the repositories recorded as holding desc. A hint
// is only a hint: failures are logged, stale entries forgotten, and the
// copy goes on.
func (d *Destination) mountFromHints(ctx context.Context, desc ocispec.Descriptor, tried string) bool {
	d.hintMu.Lock()
	off := d.hintMisses >= maxHintMisses && d.hintHits == 0
	d.hintMu.Unlock()
	if off {
		return false
	}
	n := 0
	for _, repo := range d.c.KnownRepositories(desc.Digest) {
		if repo == d.repo || repo == tried {
			continue
		}
		if n++; n > maxHintCandidates {
			break
		}
		ok, err := d.c.MountBlob(ctx, d.repo, repo, desc)
		d.hintMu.Lock()
		if ok {
			d.hintHits++
			d.hintMisses = 0
		} else {
			d.hintMisses++
		}
		d.hintMu.Unlock()
		if err != nil {
			d.log.Debug("mount from a recorded location failed", "digest", desc.Digest, "from", repo, "error", err)
			return false
		}
		if ok {
			d.log.Debug("blob mounted from a recorded location", "digest", desc.Digest, "from", repo, "to", d.repo)
			return true
		}
		d.c.ForgetRepository(desc.Digest, repo)
	}
	return false
}

// PutManifest implements transport.Destination: the top manifest goes
// under the reference's tag (or its digest, which must then match), an
// instance of an index under its own digest. A registry that refuses the
// manifest's media type yields a *transport.ManifestTypeError (matching
// errdefs.ErrNotSupported).
func (d *Destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	ref := tagOrDigest(d.ref.named)
	if instance != nil {
		ref = instance.String()
	} else if want := reference.Digest(d.ref.named); want != "" {
		got, err := manifest.Digest(b)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if got != want {
			return fmt.Errorf("%w: %s: the manifest written has digest %s, not the digest the destination names", errdefs.ErrDigestMismatch, d.name, got)
		}
	}
	dg, err := d.c.PutManifest(ctx, d.repo, ref, b, mediaType)
	if err != nil {
		if errors.Is(err, registry.ErrManifestType) {
			// The registry refused the type: a copy that may convert
			// tries the other format.
			err = &transport.ManifestTypeError{MediaType: mediaType, Err: err}
		}
		return fmt.Errorf("%s: storing manifest %s: %w", d.name, ref, err)
	}
	if instance == nil {
		d.sigs.setTop(dg)
	}
	return nil
}

// Commit implements transport.Destination; PutManifest already made the
// image visible.
func (d *Destination) Commit(ctx context.Context) error { return nil }

// Close implements transport.Destination.
func (d *Destination) Close() error { return d.release() }
