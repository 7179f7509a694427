// Package dir is the dir: transport: skopeo's directory format, with
// manifest.json, blobs named by their hex digest and a version file.
package dir

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the dir: transport.
var Transport transport.Transport = dirTransport{}

type dirTransport struct{}

func (dirTransport) Name() string { return "dir" }

func (dirTransport) ParseReference(s string) (transport.Reference, error) { return ParseReference(s) }

// ParseReference parses "PATH".
func ParseReference(s string) (*Reference, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: dir: a path is required, as in dir:/tmp/app", errdefs.ErrInvalidReference)
	}
	return &Reference{Path: s}, nil
}

// Reference names a directory holding one image (or one index and its instances).
type Reference struct {
	Path string
}

func (r *Reference) Transport() transport.Transport   { return Transport }
func (r *Reference) String() string                   { return r.Path }
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}
