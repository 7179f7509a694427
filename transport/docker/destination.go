package docker

import (
	"context"
	"fmt"
	"io"

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
}

var (
	_ transport.Destination          = (*Destination)(nil)
	_ transport.BlobMounter          = (*Destination)(nil)
	_ transport.StreamingDestination = (*Destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	c, err := registry.New(ctx, r.named, o, registry.ForPush())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	return &Destination{ref: r, name: reference.Familiar(r.named), repo: reference.Path(r.named), c: c}, nil
}

// Capabilities implements transport.Destination: any manifest type, kept
// byte for byte; uncompressed layers are compressed on the way in, as
// skopeo does, since registries serve them to pull over the network.
func (d *Destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{KeepsDigests: true, WantsCompressed: true}
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

// PutBlobStream implements transport.StreamingDestination.
func (d *Destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	desc, err := d.c.PutBlobStream(ctx, d.repo, mediaType, r)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: uploading blob: %w", d.name, err)
	}
	return desc, nil
}

// MountBlob implements transport.BlobMounter: when from is a docker://
// reference on the same registry host, in another repository, the
// registry is asked to link the blob in. It reports false, nil when that
// is not possible, so the copier moves the bytes.
func (d *Destination) MountBlob(ctx context.Context, desc ocispec.Descriptor, from transport.Reference) (bool, error) {
	if from == nil || from.Transport().Name() != Transport.Name() || from.DockerReference() == nil {
		return false, nil
	}
	src := from.DockerReference()
	if reference.RegistryHost(src) != d.c.Host() || reference.Path(src) == d.repo {
		return false, nil
	}
	ok, err := d.c.MountBlob(ctx, d.repo, reference.Path(src), desc)
	if err != nil {
		return false, fmt.Errorf("%s: mounting blob %s from %s: %w", d.name, desc.Digest, reference.Path(src), err)
	}
	return ok, nil
}

// PutManifest implements transport.Destination: the top manifest goes
// under the reference's tag (or its digest, which must then match), an
// instance of an index under its own digest.
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
	if _, err := d.c.PutManifest(ctx, d.repo, ref, b, mediaType); err != nil {
		return fmt.Errorf("%s: storing manifest %s: %w", d.name, ref, err)
	}
	return nil
}

// Commit implements transport.Destination; PutManifest already made the
// image visible.
func (d *Destination) Commit(ctx context.Context) error { return nil }

// Close implements transport.Destination.
func (d *Destination) Close() error { return d.c.Close() }
