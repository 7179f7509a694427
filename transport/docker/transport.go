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

// Transport is the docker:// transport.
var Transport transport.Transport = dockerTransport{}

type dockerTransport struct{}

func (dockerTransport) Name() string { return "docker" }

// ParseReference parses "//NAME[:TAG|@DIGEST]" (the text after "docker:").
func (dockerTransport) ParseReference(s string) (transport.Reference, error) {
	if !strings.HasPrefix(s, "//") {
		return nil, fmt.Errorf("%w: docker: image names start with docker://, got %q", errdefs.ErrInvalidReference, reference.Redact("docker:"+s))
	}
	return ParseReference(strings.TrimPrefix(s, "//"))
}
