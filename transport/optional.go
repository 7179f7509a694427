package transport

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobMounter is implemented by destinations that can take a blob from
// another image without moving its bytes (a registry's cross-repository
// mount). from is the reference the blob was read from; MountBlob reports
// false, nil when a mount is not possible and the blob must be copied.
type BlobMounter interface {
	MountBlob(ctx context.Context, d ocispec.Descriptor, from Reference) (bool, error)
}

// Deleter is implemented by references whose image can be deleted in place.
type Deleter interface {
	DeleteImage(ctx context.Context, o *Options) error
}
