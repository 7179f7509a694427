package copier

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// The copier's refusals are typed so that a caller can tell them apart and
// word them in its own terms: the library speaks of options and images,
// the CLI adds the flags that would change the outcome.

// Reason says why a manifest may not change.
type Reason int

const (
	// PreserveDigests: Options.PreserveDigests forbids any change of digest.
	PreserveDigests Reason = iota + 1
	// KeepSignatures: the source's signatures would no longer match, and
	// Options.RemoveSignatures is not set.
	KeepSignatures
)

// ModifyError is returned when the copy would have to change a manifest
// (convert its format, recompress its layers, rewrite an index) and
// Reason forbids it. Nothing has been written when it is returned.
type ModifyError struct {
	// Change says what would change, e.g. "converting the manifest to
	// application/vnd.oci.image.manifest.v1+json".
	Change string
	Reason Reason
}

func (e *ModifyError) Error() string {
	switch e.Reason {
	case KeepSignatures:
		return fmt.Sprintf("%s would invalidate the image's signatures", e.Change)
	default:
		return fmt.Sprintf("%s changes a digest, which the copy must preserve", e.Change)
	}
}

// Unwrap returns errdefs.ErrInvalidArgument.
func (e *ModifyError) Unwrap() error { return errdefs.ErrInvalidArgument }

// SignaturesUnsupportedError is returned when the source has signatures to
// copy and the destination cannot store them (skopeo's "Can not copy
// signatures to ..."). Nothing has been written when it is returned.
type SignaturesUnsupportedError struct {
	// Destination is the destination's full name.
	Destination string
}

func (e *SignaturesUnsupportedError) Error() string {
	return fmt.Sprintf("Can not copy signatures to %s: the destination does not store signatures", e.Destination)
}

// Unwrap returns errdefs.ErrNotSupported.
func (e *SignaturesUnsupportedError) Unwrap() error { return errdefs.ErrNotSupported }

// NoIndexError is returned when the copy would write an index to a
// destination that holds a single image (docker-archive).
type NoIndexError struct {
	// Transport is the destination's transport name.
	Transport string
}

func (e *NoIndexError) Error() string {
	return fmt.Sprintf("%s holds a single image, not a multi-platform index: copy one platform", e.Transport)
}

// Unwrap returns errdefs.ErrNotSupported.
func (e *NoIndexError) Unwrap() error { return errdefs.ErrNotSupported }

// ErrZstdInDocker: zstd layers asked for in a Docker schema-2 manifest,
// which cannot list them; the image must be converted to OCI.
var ErrZstdInDocker = fmt.Errorf("%w: Docker schema-2 manifests cannot carry zstd layers; convert the image to OCI", errdefs.ErrNotSupported)
