package layout

import (
	"context"
	"strconv"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Reference names an image in an OCI layout: by reference name, by
// position (@N, source only), or, with neither, the layout's only image.
type Reference struct {
	Path  string
	Ref   string
	Index int // -1 unless named as PATH:@N
}

func (r *Reference) Transport() transport.Transport { return Transport }

func (r *Reference) String() string {
	switch {
	case r.Index >= 0:
		return r.Path + ":@" + strconv.Itoa(r.Index)
	case r.Ref != "":
		return r.Path + ":" + r.Ref
	}
	return r.Path
}

// DockerReference is nil: an OCI reference name is not a Docker name.
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}
