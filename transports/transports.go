// Package transports is the explicit list of ferry's transports and the
// parser of full image names ("docker://nginx", "oci:/srv/img:1", ...).
package transports

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/daemon"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/ferrytool/ferry/transport/ociarchive"
	"github.com/ferrytool/ferry/transport/storage"
	"github.com/ferrytool/ferry/transport/tarball"
)

// All lists every transport ferry knows, by the name users type.
var All = []transport.Transport{
	docker.Transport,
	layout.Transport,
	ociarchive.Transport,
	dockerarchive.Transport,
	daemon.Transport,
	dir.Transport,
	tarball.Transport,
	storage.Transport,
}

// Get returns the transport called name, or nil.
func Get(name string) transport.Transport {
	for _, t := range All {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// Names lists the transport names.
func Names() []string {
	out := make([]string, len(All))
	for i, t := range All {
		out[i] = t.Name()
	}
	return out
}

// Parse parses a full image name "TRANSPORT:DETAILS".
func Parse(s string) (transport.Reference, error) {
	name, details, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("%w: %q: want TRANSPORT:DETAILS, as in docker://nginx:latest (transports: %s)",
			errdefs.ErrInvalidReference, reference.Redact(s), strings.Join(Names(), ", "))
	}
	t := Get(name)
	if t == nil {
		return nil, fmt.Errorf("%w: %q: unknown transport %q (transports: %s)",
			errdefs.ErrInvalidReference, reference.Redact(s), name, strings.Join(Names(), ", "))
	}
	return t.ParseReference(details)
}
