// Package layout is the oci: transport: images in an OCI image layout
// directory (image-spec image-layout.md), several images per layout told
// apart by their org.opencontainers.image.ref.name annotation.
package layout

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the oci: transport.
var Transport transport.Transport = layoutTransport{}

type layoutTransport struct{}

func (layoutTransport) Name() string { return "oci" }

// ParseReference parses "PATH[:REF]" or "PATH:@N".
func (layoutTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "PATH[:REF]" or "PATH:@N".
func ParseReference(s string) (*Reference, error) {
	path, ref := transport.SplitPathAndRef(s)
	if path == "" {
		return nil, fmt.Errorf("%w: oci: a path is required, as in oci:/srv/images/app:1", errdefs.ErrInvalidReference)
	}
	r := &Reference{Path: path, Ref: ref, Index: -1}
	if n, ok, err := transport.ParseSourceIndex(ref); ok {
		if err != nil {
			return nil, err
		}
		r.Ref, r.Index = "", n
		return r, nil
	}
	if ref != "" {
		if err := transport.ValidateOCIRefName(ref); err != nil {
			return nil, err
		}
	}
	return r, nil
}
