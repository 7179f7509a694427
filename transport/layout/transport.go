// Package layout is the oci: transport: images in an OCI image layout
// directory (image-spec image-layout.md), several images per layout told
// apart by their org.opencontainers.image.ref.name annotation. The layout
// itself (files, index.json rules, blob store, lock, journal) is
// internal/ocilayout; this package adds the transport's contract.
package layout

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Transport is the oci: transport.
var Transport transport.Transport = layoutTransport{}

type layoutTransport struct{}

func (layoutTransport) Name() string { return "oci" }

// ParseReference parses "PATH[:REF]" or "PATH:@N".
func (layoutTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "PATH[:REF]", "PATH:@N" or "PATH:@ALG:HEX" (a
// manifest by digest, as attached artifacts are named).
func ParseReference(s string) (*Reference, error) {
	if path, ref := transport.SplitPathAndRef(s); path != "" && strings.HasPrefix(ref, "@") && strings.Contains(ref, ":") {
		d, err := digest.Parse(ref[1:])
		if err != nil {
			return nil, fmt.Errorf("%w: oci:%s: %v", errdefs.ErrInvalidReference, s, err)
		}
		return &Reference{Name: ocilayout.Name{Path: path, Index: -1}, Digest: d}, nil
	}
	n, err := ocilayout.ParseName("oci", "/srv/images/app:1", s)
	if err != nil {
		return nil, err
	}
	return &Reference{Name: n}, nil
}
