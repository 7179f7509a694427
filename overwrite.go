package ferry

import (
	"fmt"
	"os"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
)

// checkArchiveOverwrite refuses a docker-archive destination that names an
// existing, non-empty regular file, as skopeo 1.9.3 does ("docker-archive
// doesn't support modifying existing images"): a mistyped path must not
// cost a file. WithOverwrite (the CLI's --overwrite; skopeo has none)
// replaces it instead.
// An empty file, a device or a pipe is written, as with skopeo.
func checkArchiveOverwrite(ref transport.Reference, overwrite bool) error {
	r, ok := ref.(*dockerarchive.Reference)
	if !ok || overwrite || r.Path == "-" {
		return nil
	}
	st, err := os.Stat(r.Path)
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s exists: docker-archive doesn't support modifying existing images (--overwrite replaces it)",
		errdefs.ErrInvalidArgument, transport.FullName(ref), r.Path)
}
