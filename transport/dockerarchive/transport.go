// Package dockerarchive is the docker-archive: transport: the tar format of
// `docker save` and `docker load`, written with layers kept compressed and
// read as a stream. "-" is stdin or stdout.
package dockerarchive

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the docker-archive: transport.
var Transport transport.Transport = archiveTransport{}

type archiveTransport struct{}

func (archiveTransport) Name() string { return "docker-archive" }

func (archiveTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "PATH", "PATH:NAME[:TAG]" or "PATH:@N".
func ParseReference(s string) (*Reference, error) {
	path, rest := transport.SplitPathAndRef(s)
	if path == "" {
		return nil, fmt.Errorf("%w: docker-archive: a path is required, as in docker-archive:/tmp/app.tar", errdefs.ErrInvalidReference)
	}
	r := &Reference{Path: path, Index: -1}
	if rest == "" {
		return r, nil
	}
	if n, ok, err := transport.ParseSourceIndex(rest); ok {
		if err != nil {
			return nil, err
		}
		r.Index = n
		return r, nil
	}
	n, err := reference.ParseNamed(rest, true)
	if err != nil {
		return nil, err
	}
	if reference.Digest(n) != "" {
		return nil, fmt.Errorf("%w: docker-archive: %q: names in an archive cannot have a digest", errdefs.ErrInvalidReference, rest)
	}
	r.Named = n
	return r, nil
}

// Reference names an archive file and optionally one image in it, by name
// or by position.
type Reference struct {
	Path  string
	Named reference.Named // nil when none was given
	Index int             // -1 unless named as PATH:@N
}

func (r *Reference) Transport() transport.Transport { return Transport }

func (r *Reference) String() string {
	switch {
	case r.Named != nil:
		return r.Path + ":" + reference.Familiar(r.Named)
	case r.Index >= 0:
		return r.Path + ":@" + strconv.Itoa(r.Index)
	}
	return r.Path
}

func (r *Reference) DockerReference() reference.Named { return r.Named }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	if r.Index >= 0 {
		return nil, fmt.Errorf("%w: docker-archive: @N picks an image to read; a destination takes a name", errdefs.ErrInvalidReference)
	}
	return newDestination(ctx, r, o)
}
