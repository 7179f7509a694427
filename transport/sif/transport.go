// Package sif is the sif: transport (source only): a Singularity/Apptainer
// image file read as skopeo reads it. The SIF's primary system partition, a
// squashfs root file system, becomes the image's one layer (extracted with
// unsquashfs from squashfs-tools and packed with tar, as containers/image
// does); the %environment and %runscript sections of its definition file
// become a script /podman/runscript in that layer and the image's Cmd.
package sif

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the sif: transport.
var Transport transport.Transport = sifTransport{}

type sifTransport struct{}

func (sifTransport) Name() string { return "sif" }

func (sifTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "PATH", the SIF file.
func ParseReference(s string) (*Reference, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: sif: a path is required, as in sif:/srv/images/tool.sif", errdefs.ErrInvalidReference)
	}
	return &Reference{Path: s}, nil
}

// Reference names a SIF file.
type Reference struct {
	Path string
}

func (r *Reference) Transport() transport.Transport   { return Transport }
func (r *Reference) String() string                   { return r.Path }
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(context.Context, *transport.Options) (transport.Destination, error) {
	return nil, fmt.Errorf("%w: sif: can only be read, not written", errdefs.ErrNotSupported)
}
