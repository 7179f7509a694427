// Package tarball is the tarball: transport (source only): one or more
// layer tar files, compressed or not, assembled into an image as skopeo's
// tarball transport does.
package tarball

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the tarball: transport.
var Transport transport.Transport = tarballTransport{}

type tarballTransport struct{}

func (tarballTransport) Name() string { return "tarball" }

func (tarballTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "FILE[:FILE...]"; "-" is stdin.
func ParseReference(s string) (*Reference, error) {
	files := strings.Split(s, ":")
	for _, f := range files {
		if f == "" {
			return nil, fmt.Errorf("%w: tarball: %q: empty file name", errdefs.ErrInvalidReference, s)
		}
	}
	return &Reference{Files: files}, nil
}

// Reference lists the layer files, bottom layer first.
type Reference struct {
	Files []string
}

func (r *Reference) Transport() transport.Transport   { return Transport }
func (r *Reference) String() string                   { return strings.Join(r.Files, ":") }
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return nil, fmt.Errorf("%w: tarball: can only be read, not written", errdefs.ErrNotSupported)
}
