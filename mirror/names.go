package mirror

import (
	"fmt"
	"path"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transport/layout"
)

// destNamer names images at the destination as skopeo sync does: the
// source's name ("HOST/PATH:TAG" for a registry image, the path below
// the source directory for a dir: image), cut to its last element unless
// scoped, joined to the destination, with the suffix appended.
type destNamer struct {
	kind   Kind
	base   string
	scoped bool
	suffix string
	docker transport.Transport
}

func newDestNamer(base string, o *Options) (*destNamer, error) {
	n := &destNamer{kind: o.Destination, base: base, scoped: o.Scoped, suffix: o.AppendSuffix}
	switch o.Destination {
	case Docker:
		n.docker = docker.New(o.DestinationDocker)
	case Dir:
	case OCI:
		if strings.Contains(base, ":") {
			return nil, fmt.Errorf("%w: an OCI layout path cannot contain \":\" (%q)", errdefs.ErrInvalidArgument, base)
		}
	default:
		return nil, fmt.Errorf("%w: %q is not a valid destination transport (want docker, dir or oci)", errdefs.ErrInvalidArgument, o.Destination)
	}
	if base == "" {
		return nil, fmt.Errorf("%w: the destination must not be empty", errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// name returns the destination of the image whose skopeo "suffix" (the
// full name, or the path below the source directory) is s.
func (n *destNamer) name(s string) (transport.Reference, error) {
	if !n.scoped {
		s = path.Base(s)
	}
	switch n.kind {
	case Docker:
		return n.docker.ParseReference("//" + path.Join(n.base, s) + n.suffix)
	case Dir:
		return dir.ParseReference(path.Join(n.base, s) + n.suffix)
	}
	ref := strings.TrimPrefix(s, "/") + n.suffix
	if err := ocilayout.ValidateRefName(ref); err != nil {
		return nil, err
	}
	return layout.ParseReference(n.base + ":" + ref)
}

// dirSuffix is skopeo's name for a dir: image at imagePath found below
// base: the path below base, or base's last element when base is the
// image itself.
func dirSuffix(base, imagePath string) string {
	s := strings.TrimPrefix(imagePath, base)
	if s == "" {
		return path.Base(base)
	}
	return s
}
