package registry

import (
	"log/slog"

	"github.com/ferrytool/ferry/registriesconf"
	"github.com/ferrytool/ferry/registry/auth"
)

// Options say how to reach a registry: credentials, TLS and the
// User-Agent. The zero value is verified TLS, credentials from the usual
// files, DefaultUserAgent, nothing logged. Clients whose Options agree on
// everything but Auth share one session (connections, ping); credentials
// are kept apart within it.
type Options struct {
	// Auth says where credentials come from.
	Auth auth.Settings
	// Insecure allows plain HTTP and unverified TLS (--tls-verify=false).
	Insecure bool
	// CertDir holds ca.crt, *.cert and *.key as in Docker's certs.d; ""
	// looks in /etc/containers/certs.d/HOST and /etc/docker/certs.d/HOST.
	CertDir string
	// UserAgent is sent with every request ("" for DefaultUserAgent).
	UserAgent string
	// Registries is the registries.conf configuration: a registry it
	// blocks is refused, one it marks insecure is reached as with
	// Insecure. nil is none.
	Registries *registriesconf.Config
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

func (o *Options) log() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
