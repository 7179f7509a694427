package transport

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobMounter is implemented by destinations that can take a blob from
// another image without moving its bytes (a registry's cross-repository
// mount). from is the reference the blob was read from; MountBlob reports
// false, nil when a mount is not possible and the blob must be copied.
type BlobMounter interface {
	MountBlob(ctx context.Context, d ocispec.Descriptor, from Reference) (bool, error)
}

// BlobFileDestination is implemented by destinations on the local file
// system that can take a complete blob file already verified against d
// (a blob in the download cache), by hard-linking it where they can and
// copying it otherwise.
type BlobFileDestination interface {
	PutBlobFile(ctx context.Context, d ocispec.Descriptor, path string) error
}

// Deleter is implemented by references whose image can be deleted in place.
type Deleter interface {
	DeleteImage(ctx context.Context, o *Options) error
}

// StreamingDestination is implemented by destinations that can store a blob
// whose digest and size are known only once it has been read to the end
// (a layer compressed on the fly, a layer read from a docker-save stream
// that names it by ID). It returns the descriptor of what it stored: the
// digest and size it computed, with mediaType.
type StreamingDestination interface {
	PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error)
}

// PutFunc stores one blob during a stream copy and returns the descriptor
// of what was stored. d.Digest may be empty and d.Size -1 when the archive
// does not name the blob by digest.
type PutFunc func(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error)

// StreamSource is implemented by sources that can be read only once, front
// to back (an archive on stdin). When the destination takes blobs in any
// order, the copier calls Stream instead of Manifest/Blob: the source
// hands over every blob as it meets it, then returns the top manifest,
// rewritten to the descriptors put returned. After Stream, Manifest works
// for every manifest the stream held (the source keeps those small blobs).
// A source that implements StreamSource must still work as a plain Source
// (spooling to TmpDir) when the copier does not stream.
type StreamSource interface {
	Stream(ctx context.Context, put PutFunc) (manifest []byte, mediaType string, err error)
}

// SignatureSource is implemented by sources that store signatures beside
// their manifests (dir:'s signature-N files, a registry's lookaside or
// signature API). Signatures lists those of the top manifest (instance
// nil) or of an index's instance, in the form they are stored in: opaque
// bytes to the copier (simple signing messages as is; other formats
// carry containers/image's "\x00FORMAT\n" header). None is not an error.
type SignatureSource interface {
	Signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error)
}

// SignatureDestination is implemented by destinations that can store
// signatures. The copier calls PutSignatures after PutManifest for the
// same manifest (instance nil for the top one) and before Commit, and only
// when Capabilities().Signatures is set: a destination whose ability
// depends on its configuration (a registry without a lookaside) clears it.
// Signatures written replace any the destination held for that manifest.
type SignatureDestination interface {
	PutSignatures(ctx context.Context, sigs [][]byte, instance *digest.Digest) error
}

// TagLister is implemented by references that belong to a repository
// whose tags can be listed (a registry repository): ListTags lists every
// tag of that repository, whatever tag or digest the reference carries.
// It serves list-tags and inspect's RepoTags.
type TagLister interface {
	ListTags(ctx context.Context, o *Options) ([]string, error)
}

// ImageNameLister is implemented by references to a file that holds
// several named images (a docker-archive): ListImageNames lists the name
// of every image in it, whatever image the reference picks, for
// list-tags. It is not a TagLister: such a file has no repository, so
// inspect's RepoTags stay empty, as skopeo's do.
type ImageNameLister interface {
	ListImageNames(ctx context.Context, o *Options) ([]string, error)
}

// RepositoryParser is implemented by transports where list-tags names a
// repository rather than an image (docker://HOST/REPO). ParseRepository
// parses the text after "NAME:", refusing a tag or digest, into a
// reference whose TagLister lists that repository.
type RepositoryParser interface {
	ParseRepository(s string) (Reference, error)
}

// Untagger is implemented by references whose tag can be removed on its
// own, leaving the image and its other names (OCI distribution spec 1.1
// "Deleting tags").
type Untagger interface {
	Untag(ctx context.Context, o *Options) error
}

// ManifestChecker is implemented by destinations that can tell, before
// anything is written, whether the name they write already holds the
// manifest with digest d, complete (every manifest and blob it refers to
// present: a registry checks references when a manifest is pushed, a dir:
// writes manifest.json last). A copy asked to skip unchanged images
// (copier.Options.SkipExisting) then writes nothing.
type ManifestChecker interface {
	HasManifest(ctx context.Context, d digest.Digest) (bool, error)
}
