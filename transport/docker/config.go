package docker

import (
	"log/slog"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registriesconf"
	"github.com/ferrytool/ferry/registriesd"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
)

// Config is the docker transport's configuration: how to reach
// registries, and the pool of registry sessions to share. The zero value
// is verified TLS, credentials from the usual files, and a pool of its
// own for each source or destination, recording hints in the default
// file. copy's two sides use two Configs (their credentials and TLS
// settings differ) sharing one Pool.
type Config struct {
	// Auth says where credentials come from.
	Auth auth.Settings
	// Insecure allows plain HTTP and unverified TLS (--tls-verify=false).
	Insecure bool
	// CertDir holds ca.crt, *.cert and *.key as in Docker's certs.d.
	CertDir string
	// UserAgent is sent to registries ("" for registry.DefaultUserAgent).
	UserAgent string
	// ChunkSize, when positive, makes pushes send blobs larger than it in
	// chunks of at most this many bytes, each re-sent on failure from
	// memory (--dest-chunk-size, a ferry extension). 0 sends each blob in
	// one streamed request and switches to chunks only when the registry,
	// or a proxy in front of it, refuses or cuts one.
	ChunkSize int64
	// Pool shares registry sessions (connections, credentials, tokens,
	// upload budget, hints) with every other user of it; its owner closes
	// it. Without one, each source or destination makes its own, recording
	// hints as RegistryHints and NoRegistryHints say.
	Pool *registry.Pool
	// RegistryHints is the file where a private pool records what it
	// learns about registries: which repositories hold which blobs (so a
	// push can mount a blob instead of uploading it) and the largest
	// request a registry's proxy lets through. "" means
	// $XDG_CACHE_HOME/ferry/registry-hints.json. A shared Pool has its own.
	RegistryHints string
	// NoRegistryHints makes a private pool neither read nor write it.
	NoRegistryHints bool
	// RegistriesD says where the signatures of images in registries are
	// kept when the registry does not keep them itself (the lookaside
	// storages of containers-registries.d(5)). nil is the built-in default
	// lookaside alone, as when no registries.d file exists; the CLI gives
	// what --registries.d or the usual directories say.
	RegistriesD *registriesd.Config
	// Registries is the registries.conf configuration: mirrors tried
	// before the primary location when an image is read, location
	// rewrites, blocked and insecure registries. nil is none; the CLI
	// gives what --registries-conf or the usual files say.
	Registries *registriesconf.Config
}

// registryOptions are the registry.Options c gives, logging to log.
func (c *Config) registryOptions(log *slog.Logger) *registry.Options {
	return &registry.Options{Auth: c.Auth, Insecure: c.Insecure, CertDir: c.CertDir, UserAgent: c.UserAgent, Registries: c.Registries, Logger: log}
}

// client returns a registry client for name, from c's pool, or from a
// pool of its own; release closes that pool (a no-op for a shared one).
func (c *Config) client(name reference.Named, o *transport.Options, opts ...registry.Option) (cl *registry.Client, release func() error, err error) {
	p, release := c.pool(o)
	cl, err = p.Client(name, c.registryOptions(o.Log()), opts...)
	if err != nil {
		release()
		return nil, nil, err
	}
	return cl, release, nil
}

// pool is c's pool, or a new one that release closes.
func (c *Config) pool(o *transport.Options) (p *registry.Pool, release func() error) {
	if c.Pool != nil {
		return c.Pool, func() error { return nil }
	}
	p = registry.NewPool(registry.PoolOptions{HintsPath: c.RegistryHints, NoHints: c.NoRegistryHints, Logger: o.Log()})
	return p, p.Close
}
