package transport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// SplitPathAndRef splits "PATH[:REF]" at the first colon, as skopeo does for
// oci:, oci-archive: and docker-archive: (paths therefore cannot hold ':').
func SplitPathAndRef(s string) (path, ref string) {
	path, ref, _ = strings.Cut(s, ":")
	return path, ref
}

// ParseSourceIndex reads "@N", skopeo's way of picking the N-th image of a
// layout or archive. ok is false when s is not of that form.
func ParseSourceIndex(s string) (n int, ok bool, err error) {
	if !strings.HasPrefix(s, "@") {
		return 0, false, nil
	}
	n, err = strconv.Atoi(s[1:])
	if err != nil || n < 0 {
		return 0, true, fmt.Errorf("%w: %q: want @N with N a non-negative number", errdefs.ErrInvalidReference, s)
	}
	return n, true, nil
}

// NotYet is the error of a transport whose reading or writing has not landed.
func NotYet(transport, what string) error {
	return fmt.Errorf("%w: %s: as a %s is not supported yet", errdefs.ErrNotSupported, transport, what)
}
