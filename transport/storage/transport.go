// Package storage is the containers-storage: transport: the image store
// podman, buildah and CRI-O run containers from, read and written through
// the containers project's own library (go.podman.io/storage), which
// keeps the store's locks and JSON files. Names follow skopeo's syntax,
// "[DRIVER@ROOT+RUNROOT:OPTIONS]NAME[:TAG|@DIGEST]" or an image ID; with
// no store specifier the store is the one podman uses (storage.conf and
// its drop-ins, CONTAINERS_STORAGE_CONF, root or rootless defaults).
//
// Images are stored as containers/image stores them (layer IDs, data
// item keys, signature metadata: see bigdata.go and commit.go), so that
// podman and skopeo read what ferry writes, and the reverse. Only root
// can open a store: a user runs ferry in podman's user namespace
// (podman unshare), which podman's tools enter by re-executing
// themselves with cgo.
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

var _ transport.Deleter = (*Reference)(nil)

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}

// DeleteImage removes the image r names, with all its names, and the
// layers no other image or container uses, as skopeo delete does.
func (r *Reference) DeleteImage(ctx context.Context, o *transport.Options) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := openStore(r.Store, o.Log())
	if err != nil {
		return err
	}
	defer st.release()
	img, err := resolve(st, r)
	if err != nil {
		return err
	}
	defer waiting(o.Log(), "deleting the image", st.GraphRoot())()
	if _, err := st.DeleteImage(img.ID, true); err != nil {
		return fmt.Errorf("containers-storage:%s: deleting image %s: %w", r.String(), img.ID, err)
	}
	return nil
}
