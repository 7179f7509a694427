package transport

import (
	"fmt"
	"regexp"
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

// ociRefName is the grammar of org.opencontainers.image.ref.name in the OCI
// image layout spec (annotations.md): components separated by "/".
var ociRefName = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)

// ValidateOCIRefName checks an OCI layout reference name.
func ValidateOCIRefName(ref string) error {
	if !ociRefName.MatchString(ref) {
		return fmt.Errorf("%w: %q is not a valid OCI reference name", errdefs.ErrInvalidReference, ref)
	}
	return nil
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
