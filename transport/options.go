package transport

import (
	"io"
	"log/slog"

	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
)

// Options carries what opening a source or destination may need. The zero
// value is the default: verified TLS, credentials from the usual files,
// nothing logged.
type Options struct {
	// Credentials and where to find them (docker transport).
	Auth Auth
	// Insecure allows plain HTTP and unverified TLS (--tls-verify=false).
	Insecure bool
	// CertDir holds ca.crt, *.cert and *.key as in Docker's certs.d.
	CertDir string
	// Platform overrides the host platform when choosing an index instance.
	Platform manifest.Platform
	// TmpDir is where temporary files go ("" means the system default).
	TmpDir string
	// DaemonHost is the Docker Engine address for docker-daemon.
	DaemonHost string
	// AdditionalTags are extra names for docker-archive destinations.
	AdditionalTags []string
	// ArchiveUncompressed makes docker-archive destinations store layers
	// uncompressed, as `docker save` does, for consumers that cannot read
	// compressed layer files. By default layers keep the compression they
	// arrived with, so the archive is about the compressed image size.
	ArchiveUncompressed bool
	// Stdin and Stdout are where an archive named "-" is read from and
	// written to. The library never falls back to the process's own: with
	// nil, "-" is an error (the CLI always sets both).
	Stdin  io.Reader
	Stdout io.Writer
	// UserAgent is sent to registries.
	UserAgent string
	// ChunkSize, when positive, makes pushes to a registry send blobs
	// larger than it in chunks of at most this many bytes, each re-sent
	// on failure from memory (--dest-chunk-size, a ferry extension). 0
	// sends each blob in one streamed request and switches to chunks only
	// when the registry, or a proxy in front of it, refuses or cuts one.
	ChunkSize int64
	// RegistryHints is the file where the docker transport records what it
	// learns about registries: which repositories hold which blobs (so a
	// push can mount a blob from another repository instead of uploading
	// it) and the largest request a registry's proxy lets through. ""
	// means $XDG_CACHE_HOME/ferry/registry-hints.json.
	RegistryHints string
	// NoRegistryHints neither reads nor writes that file.
	NoRegistryHints bool
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
	// Progress receives transfer events; nil discards.
	Progress progress.Reporter
}

// Auth says how to authenticate to a registry.
type Auth struct {
	Username string
	Password string
	// IdentityToken is a bearer token used as is (--registry-token).
	BearerToken string
	// NoCreds: access anonymously, ignoring every credential file.
	NoCreds bool
	// AuthFile overrides the credential file lookup.
	AuthFile string
}

// Log returns o's logger, or one that discards.
func (o *Options) Log() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Reporter returns o's progress reporter, or one that discards.
func (o *Options) Reporter() progress.Reporter {
	if o == nil || o.Progress == nil {
		return progress.Discard
	}
	return o.Progress
}
