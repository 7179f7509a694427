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

// Config is the oci: transport's configuration. The zero value keeps
// each layout's blobs in its own blobs/ directory.
type Config struct {
	// SharedBlobDir, when set, is where the blobs of every layout this
	// transport reads or writes are, as DIR/ALG/HEX (skopeo's
	// --src-shared-blob-dir / --dest-shared-blob-dir); the layouts'
	// own blobs/ directories stay empty.
	SharedBlobDir string
}

// Transport is the oci: transport with the zero Config.
var Transport transport.Transport = layoutTransport{}

// New returns the oci: transport configured by cfg.
func New(cfg Config) transport.Transport { return layoutTransport{cfg: cfg} }

type layoutTransport struct{ cfg Config }

func (layoutTransport) Name() string { return "oci" }

// ParseReference parses "PATH[:REF]" or "PATH:@N"; the reference keeps
// the transport's configuration.
func (t layoutTransport) ParseReference(s string) (transport.Reference, error) {
	r, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	r.SharedBlobDir = t.cfg.SharedBlobDir
	return r, nil
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
