package cli

import (
	"errors"
	"fmt"

	"github.com/ferrytool/ferry/copier"
)

// copyError words the copier's typed refusals in terms of copy's flags:
// the library says what it may not do, the CLI says which flag changes it.
func copyError(err error) error {
	var modify *copier.ModifyError
	var unsupported *copier.SignaturesUnsupportedError
	var noIndex *copier.NoIndexError
	switch {
	case errors.As(err, &modify) && modify.Reason == copier.PreserveDigests:
		return fmt.Errorf("%w (--preserve-digests)", err)
	case errors.As(err, &modify) && modify.Reason == copier.KeepSignatures:
		return fmt.Errorf("%w; add --remove-signatures to copy the image without them", err)
	case errors.As(err, &unsupported):
		return fmt.Errorf("%w; add --remove-signatures to copy the image without them", err)
	case errors.As(err, &noIndex):
		return fmt.Errorf("%w (without --all or --multi-arch)", err)
	case errors.Is(err, copier.ErrZstdInDocker):
		return fmt.Errorf("%w: add --format oci", err)
	}
	return err
}
