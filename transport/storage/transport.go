// Package storage is the containers-storage: transport's names: the image
// store podman, buildah and CRI-O run containers from. Names follow
// skopeo's syntax, "[DRIVER@ROOT+RUNROOT:OPTIONS]NAME[:TAG|@DIGEST]" or an
// image ID; with no store specifier the store is the one podman uses.
//
// Reading and writing the store is a Backend's job, kept in package
// github.com/ferrytool/ferry/transport/storage/store, which carries the
// containers project's storage library (and, with cgo, its btrfs driver's
// C headers). This package parses names without it, so a program that
// never opens a store does not build that library in: Transport parses
// names and refuses to open them, New(store.Backend) opens them too.
package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Backend reads and writes the images references name in a store; see
// package github.com/ferrytool/ferry/transport/storage/store.
type Backend interface {
	NewSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error)
	NewDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error)
	DeleteImage(ctx context.Context, r *Reference, o *transport.Options) error
}

// Transport is the containers-storage: transport without a backend: it
// parses names, and opening one fails with errdefs.ErrNotSupported.
var Transport = New(nil)

// New returns the containers-storage: transport whose references open
// images through b; nil parses names only, as Transport does.
func New(b Backend) transport.Transport { return storageTransport{backend: b} }

type storageTransport struct{ backend Backend }

func (storageTransport) Name() string { return "containers-storage" }

func (t storageTransport) ParseReference(s string) (transport.Reference, error) {
	r, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	r.backend = t.backend
	return r, nil
}

// ParseReference parses "[DRIVER@ROOT+RUNROOT:OPTIONS]{NAME[@ID]|ID}", a
// reference without a backend.
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

	backend Backend // nil: the name parses, but cannot be opened
}

func (r *Reference) Transport() transport.Transport { return storageTransport{backend: r.backend} }

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
	if r.backend == nil {
		return nil, r.noBackend()
	}
	return r.backend.NewSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	if r.backend == nil {
		return nil, r.noBackend()
	}
	return r.backend.NewDestination(ctx, r, o)
}

// DeleteImage removes the image r names, with all its names, and the
// layers no other image or container uses, as skopeo delete does.
func (r *Reference) DeleteImage(ctx context.Context, o *transport.Options) error {
	if r.backend == nil {
		return r.noBackend()
	}
	return r.backend.DeleteImage(ctx, r, o)
}

// noBackend says how a Go program opts in to the store, which the ferry
// command always has.
func (r *Reference) noBackend() error {
	return fmt.Errorf("%w: containers-storage:%s: this program is built without the containers-storage backend; "+
		"a Go program enables it with ferry.WithContainersStorage(store.Backend) from package github.com/ferrytool/ferry/transport/storage/store",
		errdefs.ErrNotSupported, r.String())
}
