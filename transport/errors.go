package transport

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// ManifestTypeError is returned by Destination.PutManifest when the
// destination refuses a manifest for its media type (a registry without
// OCI support answering 415, or 400 MANIFEST_INVALID about the type): a
// copy allowed to convert may write the other format instead. It matches
// errdefs.ErrNotSupported with errors.Is.
type ManifestTypeError struct {
	// MediaType is the type refused.
	MediaType string
	// Err is the destination's refusal.
	Err error
}

func (e *ManifestTypeError) Error() string {
	return fmt.Sprintf("the destination does not accept %s manifests: %v", e.MediaType, e.Err)
}

// Is makes errors.Is(err, errdefs.ErrNotSupported) true.
func (e *ManifestTypeError) Is(target error) bool { return target == errdefs.ErrNotSupported }

// Unwrap returns the destination's refusal.
func (e *ManifestTypeError) Unwrap() error { return e.Err }
