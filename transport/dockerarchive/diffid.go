package dockerarchive

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/opencontainers/go-digest"
)

// checkDiffID finishes l and compares the diff ID of what it read with want.
func checkDiffID(l *archive.LayerReader, member string, want digest.Digest) error {
	_, diff, err := l.Finish()
	if err != nil {
		return fmt.Errorf("layer %s: %w", printable(member), err)
	}
	if diff != want {
		return fmt.Errorf("%w: layer %s decompresses to %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, printable(member), diff, want)
	}
	return nil
}
