package docker

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Reference names an image in a registry, and carries the configuration
// of the transport that parsed it. Its name always carries a tag
// (":latest" added as Docker does) or a digest, never both.
type Reference struct {
	named reference.Named
	t     *dockerTransport
}

// ParseReference parses a Docker image name ("nginx", "localhost:5000/app:1",
// "quay.io/org/img@sha256:..."), for the zero Config.
func ParseReference(s string) (*Reference, error) {
	n, err := reference.ParseNamed(s, true)
	if err != nil {
		return nil, err
	}
	return NewReference(n)
}

// NewReference wraps a normalized name, for the zero Config.
func NewReference(n reference.Named) (*Reference, error) {
	if reference.Tag(n) != "" && reference.Digest(n) != "" {
		return nil, fmt.Errorf("%w: %s: a name with both a tag and a digest is not supported", errdefs.ErrInvalidReference, n)
	}
	return &Reference{named: n, t: Transport.(*dockerTransport)}, nil
}

func (r *Reference) Transport() transport.Transport   { return r.t }
func (r *Reference) String() string                   { return "//" + reference.Familiar(r.named) }
func (r *Reference) DockerReference() reference.Named { return r.named }

// Named is the normalized image name.
func (r *Reference) Named() reference.Named { return r.named }

// config is the configuration of r's transport.
func (r *Reference) config() *Config { return r.t.cfg }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}
