package transport

import (
	"io"
	"log/slog"

	"github.com/ferrytool/ferry/manifest"
)

// Options carries what opening a source or destination may need, whatever
// the transport. What one transport alone needs (registry credentials and
// TLS, the Docker daemon's address, archive tags) is that transport's own
// configuration, given where the transports are assembled (package
// transports), and travels with its references. The zero value is the
// default: the host platform, the system's temporary directory, nothing
// logged.
type Options struct {
	// Platform overrides the host platform when choosing an index instance.
	Platform manifest.Platform
	// TmpDir is where temporary files go ("" means the system default).
	TmpDir string
	// Stdin and Stdout are where an archive named "-" is read from and
	// written to. The library never falls back to the process's own: with
	// nil, "-" is an error (the CLI always sets both).
	Stdin  io.Reader
	Stdout io.Writer
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// Log returns o's logger, or one that discards.
func (o *Options) Log() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
