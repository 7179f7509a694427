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

// Config is the docker-archive: transport's configuration, for the
// archives it writes. The zero value writes the destination's name only,
// layers kept as they arrive.
type Config struct {
	// AdditionalTags are more names recorded for the image
	// (--additional-tag), each NAME[:TAG] without a digest.
	AdditionalTags []string
	// Uncompressed stores layers uncompressed, as `docker save` does, for
	// consumers that cannot read compressed layer files. By default layers
	// keep the compression they arrived with, so the archive is about the
	// compressed image size.
	Uncompressed bool
}

// Transport is the docker-archive: transport with the zero Config.
var Transport = New(Config{})

// New returns the docker-archive: transport configured by cfg.
func New(cfg Config) transport.Transport { return &archiveTransport{cfg: &cfg} }

type archiveTransport struct{ cfg *Config }

func (*archiveTransport) Name() string { return "docker-archive" }

func (t *archiveTransport) ParseReference(s string) (transport.Reference, error) {
	r, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	r.t = t
	return r, nil
}

// ParseReference parses "PATH", "PATH:NAME[:TAG]" or "PATH:@N", for the
// zero Config.
func ParseReference(s string) (*Reference, error) {
	path, rest := transport.SplitPathAndRef(s)
	if path == "" {
		return nil, fmt.Errorf("%w: docker-archive: a path is required, as in docker-archive:/tmp/app.tar", errdefs.ErrInvalidReference)
	}
	r := &Reference{Path: path, Index: -1, t: Transport.(*archiveTransport)}
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

	t *archiveTransport // nil: the zero Config
}

func (r *Reference) Transport() transport.Transport {
	if r.t == nil {
		return Transport
	}
	return r.t
}

// config is the configuration of r's transport.
func (r *Reference) config() Config {
	if r.t == nil {
		return Config{}
	}
	return *r.t.cfg
}

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
