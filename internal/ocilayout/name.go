package ocilayout

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// Name is what follows "oci:" or "oci-archive:": a path and the image it
// names within the layout, by reference name (PATH:REF), by position
// (PATH:@N, for reading only), or, with neither, the layout's only image.
type Name struct {
	Path  string
	Ref   string
	Index int // -1 unless named as PATH:@N
}

// ParseName parses "PATH[:REF]" or "PATH:@N", as skopeo does for oci: and
// oci-archive: (the first colon ends the path). transportName and example
// word the error when the path is missing.
func ParseName(transportName, example, s string) (Name, error) {
	path, ref := transport.SplitPathAndRef(s)
	if path == "" {
		return Name{}, fmt.Errorf("%w: %s: a path is required, as in %s:%s", errdefs.ErrInvalidReference, transportName, transportName, example)
	}
	n := Name{Path: path, Ref: ref, Index: -1}
	if i, ok, err := transport.ParseSourceIndex(ref); ok {
		if err != nil {
			return Name{}, err
		}
		n.Ref, n.Index = "", i
		return n, nil
	}
	if ref != "" {
		if err := ValidateRefName(ref); err != nil {
			return Name{}, err
		}
	}
	return n, nil
}

// String is the name as ParseName reads it.
func (n Name) String() string {
	switch {
	case n.Index >= 0:
		return n.Path + ":@" + strconv.Itoa(n.Index)
	case n.Ref != "":
		return n.Path + ":" + n.Ref
	}
	return n.Path
}

// refName is the grammar of org.opencontainers.image.ref.name in the OCI
// image layout spec (annotations.md): components separated by "/". It
// keeps "..", empty components and absolute paths out.
var refName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)
})

// ValidateRefName checks an OCI layout reference name.
func ValidateRefName(ref string) error {
	if !refName().MatchString(ref) {
		return fmt.Errorf("%w: %q is not a valid OCI reference name", errdefs.ErrInvalidReference, ref)
	}
	return nil
}
