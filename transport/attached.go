package transport

import (
	"context"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Attached is an artifact stored beside an image and pointing at it: a
// cosign digest tag (sha256-HEX.sig, .att, .sbom) or the OCI 1.1
// referrers tag schema's index (sha256-HEX), whose entries are the
// referrers.
type Attached struct {
	// Tag is the tag the artifact is found under.
	Tag string
	// Descriptor is the manifest (or index) the tag holds.
	Descriptor ocispec.Descriptor
	// Referrers are the entries of a referrers index (Tag sha256-HEX).
	Referrers []ocispec.Descriptor
}

// AttachedLister is implemented by references whose repository can hold
// artifacts attached to a manifest by tag (a registry repository).
// ListAttached lists those of the manifest subject; Sibling names another
// manifest of the same repository, by tag when tag is set, else by
// digest, with the same configuration.
type AttachedLister interface {
	ListAttached(ctx context.Context, o *Options, subject digest.Digest) ([]Attached, error)
	Sibling(tag string, d digest.Digest) (Reference, error)
}

// SubjectIndexer is implemented by AttachedListers whose store finds
// referrers by the subject field of the manifests it holds (an OCI
// layout, whose index.json lists each artifact; a registry serving the
// OCI 1.1 referrers API). An artifact copied there needs no referrers
// tag schema index written beside it.
type SubjectIndexer interface {
	IndexesSubjects(ctx context.Context, o *Options) (bool, error)
}
