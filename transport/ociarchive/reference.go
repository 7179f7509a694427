package ociarchive

import (
	"context"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Reference names an image in an OCI archive: by reference name, by
// position (@N, source only), or, with neither, the layout's only image
// (see ocilayout.Name).
type Reference struct {
	ocilayout.Name
}

func (r *Reference) Transport() transport.Transport { return Transport }

// DockerReference is nil: an OCI reference name is not a Docker name.
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}
