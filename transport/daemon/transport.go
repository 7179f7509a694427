// Package daemon is the docker-daemon: transport: images in a Docker
// Engine's store, moved through the Engine API's image export and load
// streams without temporary files.
package daemon

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Config is the docker-daemon: transport's configuration. The zero value
// talks to $DOCKER_HOST, else DefaultHost.
type Config struct {
	// Host is the Docker Engine's address (--daemon-host): unix:///PATH
	// or tcp://HOST:PORT.
	Host string
	// AdditionalTags are more names (NAME[:TAG]) given to an image loaded
	// into the daemon (--additional-tag).
	AdditionalTags []string
}

// Transport is the docker-daemon: transport with the zero Config.
var Transport = New(Config{})

// New returns the docker-daemon: transport configured by cfg.
func New(cfg Config) transport.Transport { return &daemonTransport{cfg: &cfg} }

type daemonTransport struct{ cfg *Config }

func (*daemonTransport) Name() string { return "docker-daemon" }

func (t *daemonTransport) ParseReference(s string) (transport.Reference, error) {
	r, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	r.t = t
	return r, nil
}

// ParseReference parses "NAME:TAG", "NAME@DIGEST" or an image ID
// "sha256:HEX", for the zero Config.
func ParseReference(s string) (*Reference, error) {
	if d, err := digest.Parse(s); err == nil {
		return &Reference{ID: d}, nil
	}
	n, err := reference.ParseNamed(s, false)
	if err != nil {
		return nil, err
	}
	tag, dg := reference.Tag(n), reference.Digest(n)
	switch {
	case tag == "" && dg == "":
		return nil, fmt.Errorf("%w: docker-daemon: %q has neither a tag nor a digest", errdefs.ErrInvalidReference, s)
	case tag != "" && dg != "":
		return nil, fmt.Errorf("%w: docker-daemon: %q: a name with both a tag and a digest is not supported", errdefs.ErrInvalidReference, s)
	}
	return &Reference{Named: n}, nil
}

// Reference names an image in the daemon by name or by image ID.
type Reference struct {
	Named reference.Named // nil when ID is set
	ID    digest.Digest

	t *daemonTransport // nil: the zero Config
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
	if r.Named == nil {
		return r.ID.String()
	}
	return reference.Familiar(r.Named)
}

func (r *Reference) DockerReference() reference.Named { return r.Named }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	if r.Named == nil || reference.Tag(r.Named) == "" {
		return nil, fmt.Errorf("%w: docker-daemon: a destination needs NAME:TAG, got %q", errdefs.ErrInvalidReference, r.String())
	}
	return newDestination(ctx, r, o)
}
