// Package docker is the docker:// transport: images in a registry that
// speaks the OCI distribution spec or Docker's registry API v2.
package docker

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the docker:// transport with the zero Config.
var Transport = New(Config{})

// New returns the docker:// transport configured by cfg: the references
// it parses reach registries as cfg says.
func New(cfg Config) transport.Transport { return &dockerTransport{cfg: &cfg} }

type dockerTransport struct{ cfg *Config }

func (*dockerTransport) Name() string { return "docker" }

// ParseReference parses "//NAME[:TAG|@DIGEST]" (the text after "docker:").
func (t *dockerTransport) ParseReference(s string) (transport.Reference, error) {
	if !strings.HasPrefix(s, "//") {
		return nil, fmt.Errorf("%w: docker: image names start with docker://, got %q", errdefs.ErrInvalidReference, reference.Redact("docker:"+s))
	}
	r, err := ParseReference(strings.TrimPrefix(s, "//"))
	if err != nil {
		return nil, err
	}
	r.t = t
	return r, nil
}
