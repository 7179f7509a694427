// Package storage is the containers-storage: transport (podman's and
// buildah's image store). Names are parsed with skopeo's syntax; reading
// and writing the store are not supported yet.
package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the containers-storage: transport.
var Transport transport.Transport = storageTransport{}

type storageTransport struct{}

func (storageTransport) Name() string { return "containers-storage" }

func (storageTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "[DRIVER@ROOT+RUNROOT:OPTIONS]{NAME[@ID]|ID}".
func ParseReference(s string) (*Reference, error) {
	r := &Reference{}
	rest := s
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("%w: containers-storage: %q: unterminated [store specifier]", errdefs.ErrInvalidReference, s)
		}
		r.Store, rest = rest[1:end], rest[end+1:]
	}
	if rest == "" {
		return nil, fmt.Errorf("%w: containers-storage: an image name or ID is required", errdefs.ErrInvalidReference)
	}
	name, id, _ := strings.Cut(rest, "@")
	if isImageID(name) && id == "" {
		r.ID = name
		return r, nil
	}
	if id != "" && !isImageID(id) {
		// NAME@sha256:... is a digested name, not NAME@ID.
		name, id = rest, ""
	}
	if name == "" && id == "" {
		return nil, fmt.Errorf("%w: containers-storage: %q: an image name or ID is required", errdefs.ErrInvalidReference, s)
	}
	if name != "" {
		n, err := reference.ParseNamed(name, true)
		if err != nil {
			return nil, err
		}
		r.Named = n
	}
	r.ID = id
	return r, nil
}

func isImageID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Reference names an image in a containers-storage store.
type Reference struct {
	Store string // "driver@root+runroot:options", "" for the default store
	Named reference.Named
	ID    string
}

func (r *Reference) Transport() transport.Transport { return Transport }

func (r *Reference) String() string {
	s := ""
	if r.Store != "" {
		s = "[" + r.Store + "]"
	}
	if r.Named != nil {
		s += r.Named.String()
		if r.ID != "" {
			s += "@" + r.ID
		}
		return s
	}
	return s + r.ID
}

func (r *Reference) DockerReference() reference.Named { return r.Named }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return nil, transport.NotYet("containers-storage", "source")
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return nil, transport.NotYet("containers-storage", "destination")
}
