// Package transport defines how ferry talks to a place images live: a
// Transport parses names, a Reference opens a Source to read from or a
// Destination to write to. Each transport lives in its own package below
// this one; package transports lists them explicitly.
//
// New abilities arrive as optional interfaces found by type assertion
// (see optional.go), never as new methods on these.
package transport

import (
	"context"
	"io"

	"github.com/ferrytool/ferry/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Transport is one kind of place: "docker", "oci", "dir", ...
type Transport interface {
	Name() string
	// ParseReference parses the part of an image name after "NAME:".
	ParseReference(s string) (Reference, error)
}

// Reference names one image (or image list) within a transport.
type Reference interface {
	Transport() Transport
	// String renders the name within the transport; it round-trips through
	// ParseReference.
	String() string
	// DockerReference is the Docker name the image carries, nil where none.
	DockerReference() reference.Named
	NewSource(ctx context.Context, o *Options) (Source, error)
	NewDestination(ctx context.Context, o *Options) (Destination, error)
}

// FullName renders r as "transport:details", the form users type.
func FullName(r Reference) string {
	return r.Transport().Name() + ":" + r.String()
}

// Source reads an image. Methods are safe for concurrent use.
type Source interface {
	// Manifest returns the manifest the reference names (instance nil) or
	// the instance of an index with the given digest, and its media type.
	// Bytes are returned exactly as stored, so their digest is stable.
	Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error)
	// Blob streams a blob. The caller verifies digest and size.
	Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error)
	Close() error
}

// Destination writes an image. PutBlob may be called concurrently unless
// Capabilities().SerialBlobs is set; PutManifest is called after every blob
// it refers to, and Commit last. Nothing is visible before Commit returns;
// Close without Commit discards the work.
type Destination interface {
	Capabilities() Capabilities
	// HasBlob reports whether the destination already holds the blob, so
	// it need not be sent.
	HasBlob(ctx context.Context, d ocispec.Descriptor) (bool, error)
	// PutBlob stores a blob read from r. It must read r to io.EOF and keep
	// the blob only if every Read succeeded: the copier hands it a reader
	// that fails at the end when digest or size are wrong.
	PutBlob(ctx context.Context, d ocispec.Descriptor, r io.Reader) error
	// PutManifest stores a manifest. instance is nil for the manifest the
	// reference names (tagged as the reference says) and the digest of the
	// manifest for an instance of an index being written.
	PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error
	// Commit makes the image visible, atomically where the format allows.
	Commit(ctx context.Context) error
	Close() error
}

// Capabilities tells the copier what a destination can take.
type Capabilities struct {
	// ManifestTypes lists the manifest media types it accepts, preferred
	// first; empty means any.
	ManifestTypes []string
	// NoIndex: it can hold a single image only (docker-archive).
	NoIndex bool
	// SerialBlobs: PutBlob must be called one blob at a time (a streamed
	// archive).
	SerialBlobs bool
	// WantsUncompressed: layers should be stored uncompressed.
	WantsUncompressed bool
	// WantsCompressed: uncompressed layers should be compressed on the way
	// in (a registry, as skopeo does).
	WantsCompressed bool
	// KeepsDigests: the destination stores manifests byte for byte, so
	// signatures and digests survive (false where it rewrites them, as
	// docker-daemon does).
	KeepsDigests bool
	// Signatures: it stores signatures, through SignatureDestination.
	// Without it, a copy of a signed image refuses unless told to drop the
	// signatures, as skopeo does.
	Signatures bool
}
