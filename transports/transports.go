// Package transports is the explicit list of ferry's transports and the
// parser of full image names ("docker://nginx", "oci:/srv/img:1", ...).
//
// New builds a Set whose transports carry a configuration (registry
// credentials and TLS, the daemon's address, archive tags); the
// references it parses take their transport's configuration with them.
// The package-level Parse and All use the zero configuration.
//
// The containers-storage: transport parses its names here, but opens them
// only with Config.Storage set (package transport/storage/store's
// Backend): that package carries the containers project's storage
// library, which a program that never opens a store need not build.
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
	"github.com/ferrytool/ferry/transport/sif"
	"github.com/ferrytool/ferry/transport/storage"
	"github.com/ferrytool/ferry/transport/tarball"
)

// Config holds the configuration of each transport that takes one. The
// zero value configures each with its zero Config.
type Config struct {
	Docker        docker.Config
	Daemon        daemon.Config
	DockerArchive dockerarchive.Config
	Layout        layout.Config
	// Storage opens containers-storage: images (store.Backend, from
	// package transport/storage/store); nil parses their names only.
	Storage storage.Backend
}

// Set is ferry's transports, configured. Safe for concurrent use.
type Set struct {
	all []transport.Transport
}

// New returns every transport, configured by cfg.
func New(cfg Config) *Set {
	return &Set{all: list(docker.New(cfg.Docker), daemon.New(cfg.Daemon), dockerarchive.New(cfg.DockerArchive),
		layout.New(cfg.Layout), storage.New(cfg.Storage))}
}

// list is every transport, in the order users see them listed, with the
// configured ones given.
func list(dockerT, daemonT, archiveT, layoutT, storageT transport.Transport) []transport.Transport {
	return []transport.Transport{
		dockerT,
		layoutT,
		ociarchive.Transport,
		archiveT,
		daemonT,
		dir.Transport,
		tarball.Transport,
		sif.Transport,
		storageT,
	}
}

// All lists every transport ferry knows, with zero configuration, by the
// name users type.
var All = list(docker.Transport, daemon.Transport, dockerarchive.Transport, layout.Transport, storage.Transport)

// All lists the set's transports.
func (s *Set) All() []transport.Transport { return append([]transport.Transport(nil), s.all...) }

// Get returns the set's transport called name, or nil.
func (s *Set) Get(name string) transport.Transport { return get(s.all, name) }

// Parse parses a full image name "TRANSPORT:DETAILS" with the set's
// transports.
func (s *Set) Parse(name string) (transport.Reference, error) { return parse(s.all, name) }

// Get returns the transport called name, or nil.
func Get(name string) transport.Transport { return get(All, name) }

// Names lists the transport names.
func Names() []string {
	out := make([]string, len(All))
	for i, t := range All {
		out[i] = t.Name()
	}
	return out
}

// Parse parses a full image name "TRANSPORT:DETAILS" with the zero
// configuration.
func Parse(s string) (transport.Reference, error) { return parse(All, s) }

func get(all []transport.Transport, name string) transport.Transport {
	for _, t := range all {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

func parse(all []transport.Transport, s string) (transport.Reference, error) {
	name, details, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("%w: %q: want TRANSPORT:DETAILS, as in docker://nginx:latest (transports: %s)",
			errdefs.ErrInvalidReference, reference.Redact(s), strings.Join(Names(), ", "))
	}
	t := get(all, name)
	if t == nil {
		return nil, fmt.Errorf("%w: %q: unknown transport %q (transports: %s)",
			errdefs.ErrInvalidReference, reference.Redact(s), name, strings.Join(Names(), ", "))
	}
	return t.ParseReference(details)
}
