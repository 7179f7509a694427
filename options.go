package ferry

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport/storage"
)

// Option configures a Client (NewClient) or one call. Options given to
// NewClient apply to every call of the client; options given to a call
// come after them, so they add to them or override them for that call.
// A few options shape the client itself (its registry sessions and
// configuration files) and are refused per call: their documentation
// says so.
//
// Options are grouped by concern, one place each: credentials
// (WithCredentials, WithRegistryToken, WithAnonymous, WithAuthFile,
// WithDockerAuthFile), TLS
// (WithInsecure, WithCertDir), platform (WithPlatform, WithAllPlatforms,
// WithPlatforms, WithIndexOnly), trust (WithPolicy, WithPolicyCheck,
// WithSigners), progress (WithProgress), logging (WithLogger) and
// concurrency (WithConcurrency, WithBlobCache, WithConnections).
type Option func(*settings) error

// Platform is an os/architecture/variant triple. Empty fields are the
// host's.
type Platform = manifest.Platform

// Event is one progress event: a blob started, advanced, was skipped,
// done or failed, or an image copy started, was skipped, done or failed.
// Its kinds are package progress's constants.
type Event = progress.Event

// sideOption is an option that applies to the source and the destination
// alike, or to one of them inside Source or Destination.
func sideOption(f func(*side) error) Option {
	return func(s *settings) error {
		for _, sd := range s.sides() {
			if err := f(sd); err != nil {
				return err
			}
		}
		return nil
	}
}

// callOption is an option of the whole operation, refused inside Source
// or Destination.
func callOption(name string, f func(*settings) error) Option {
	return func(s *settings) error {
		if s.scope != nil {
			return fmt.Errorf("%w: %s applies to the whole operation, not to the %s alone", ErrInvalidArgument, name, s.scopeName)
		}
		return f(s)
	}
}

// clientOption is an option of the client itself, refused per call.
func clientOption(name string, f func(*settings) error) Option {
	return callOption(name, func(s *settings) error {
		if s.call {
			return fmt.Errorf("%w: %s configures a client: give it to NewClient", ErrInvalidArgument, name)
		}
		return f(s)
	})
}

// Source scopes options to the source of a copy: credentials, TLS, the
// daemon's address, as skopeo's --src-creds, --src-tls-verify,
// --src-cert-dir. Operations on one image (Inspect, ListTags, Delete)
// use the source's. Options that are not about one side are refused
// inside it.
func Source(opts ...Option) Option {
	return scoped("source", func(s *settings) *side { return &s.src }, opts)
}

// Destination scopes options to the destination of a copy, as skopeo's
// --dest-creds, --dest-tls-verify, --dest-cert-dir.
func Destination(opts ...Option) Option {
	return scoped("destination", func(s *settings) *side { return &s.dst }, opts)
}

func scoped(name string, which func(*settings) *side, opts []Option) Option {
	return func(s *settings) error {
		if s.scope != nil {
			return fmt.Errorf("%w: %s options inside %s options", ErrInvalidArgument, name, s.scopeName)
		}
		s.scope, s.scopeName = which(s), name
		defer func() { s.scope, s.scopeName = nil, "" }()
		for _, o := range opts {
			if o == nil {
				continue
			}
			if err := o(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// WithCredentials logs in to the registry host ("registry.example.com",
// "localhost:5000"; "docker.io" for Docker Hub) with a user name and
// password. An empty host means any registry the image is in (skopeo's
// --creds). Without credentials, ferry looks them up as skopeo does: the
// auth file, Docker's config.json, credential helpers.
func WithCredentials(host, username, password string) Option {
	return sideOption(func(sd *side) error {
		if username == "" {
			return fmt.Errorf("%w: WithCredentials: the user name must not be empty", ErrInvalidArgument)
		}
		sd.creds = append(sd.creds, hostValue{host: normalHost(host), user: username, secret: password})
		return nil
	})
}

// WithRegistryToken sends a bearer token to the registry host ("" for
// any), as skopeo's --registry-token.
func WithRegistryToken(host, token string) Option {
	return sideOption(func(sd *side) error {
		sd.tokens = append(sd.tokens, hostValue{host: normalHost(host), secret: token})
		return nil
	})
}

// WithAnonymous reaches registries without any credential, ignoring
// credential files (skopeo's --no-creds).
func WithAnonymous() Option {
	return sideOption(func(sd *side) error { sd.anonymous = true; return nil })
}

// WithAuthFile reads credentials from path (auth.json or Docker's
// config.json format) instead of the usual places (skopeo's --authfile).
func WithAuthFile(path string) Option {
	return sideOption(func(sd *side) error { sd.authFile, sd.dockerAuth = path, false; return nil })
}

// WithDockerAuthFile reads credentials from Docker's config.json at
// path, and makes Login and Logout write it as Docker does: Docker Hub
// under Docker's historical key, no login for a namespace (skopeo's
// --compat-auth-file).
func WithDockerAuthFile(path string) Option {
	return sideOption(func(sd *side) error { sd.authFile, sd.dockerAuth = path, true; return nil })
}

// WithInsecure allows plain HTTP and unverified TLS for the registry
// hosts given, or for every registry when none is given (skopeo's
// --tls-verify=false).
func WithInsecure(hosts ...string) Option {
	return sideOption(func(sd *side) error {
		if len(hosts) == 0 {
			sd.insecureAll = true
		}
		for _, h := range hosts {
			sd.insecure = append(sd.insecure, normalHost(h))
		}
		return nil
	})
}

// WithCertDir trusts the CA certificates (*.crt) and presents the client
// certificate (*.cert, *.key) in dir, for registries and the Docker daemon
// (skopeo's --cert-dir).
func WithCertDir(dir string) Option {
	return sideOption(func(sd *side) error { sd.certDir = dir; return nil })
}

// WithDaemonHost reaches the Docker Engine at host (unix:///PATH or
// tcp://HOST:PORT) for docker-daemon: images.
func WithDaemonHost(host string) Option {
	return sideOption(func(sd *side) error { sd.daemonHost = host; return nil })
}

// WithChunkSize pushes blobs to a registry in chunks of at most n bytes,
// each resent on failure (for proxies that cut large requests). By
// default a blob goes in one request.
func WithChunkSize(n int64) Option {
	return sideOption(func(sd *side) error {
		if n != 0 && (n < registry.MinChunkSize || n > registry.MaxChunkSize) {
			return fmt.Errorf("%w: WithChunkSize(%d): want %d to %d bytes", ErrInvalidArgument, n, registry.MinChunkSize, registry.MaxChunkSize)
		}
		sd.chunkSize = n
		return nil
	})
}

// WithAdditionalTags gives the image more NAME:TAG names in a
// docker-archive: or docker-daemon: destination.
func WithAdditionalTags(tags ...string) Option {
	return sideOption(func(sd *side) error { sd.additionalTags = append(sd.additionalTags, tags...); return nil })
}

// WithSharedBlobDir keeps the blobs of oci: layouts in dir, shared by
// many layouts, as DIR/ALG/HEX, instead of each layout's blobs/
// directory (skopeo's --src-shared-blob-dir / --dest-shared-blob-dir).
// Blobs are never removed from dir: a failed copy may leave complete,
// unnamed blobs there.
func WithSharedBlobDir(dir string) Option {
	return sideOption(func(sd *side) error { sd.sharedBlobDir = dir; return nil })
}

// WithContainersStorage lets the operations open containers-storage:
// images, through b: store.Backend from package
// github.com/ferrytool/ferry/transport/storage/store. Without it such a
// name parses, but opening it fails with ErrNotSupported: the store's
// library (go.podman.io/storage, with cgo its btrfs driver's C headers)
// is built into a program only when it imports that package. A program
// that writes to a store also calls store.Init first thing in main.
func WithContainersStorage(b storage.Backend) Option {
	return callOption("WithContainersStorage", func(s *settings) error { s.storageBackend = b; return nil })
}

// WithPlatform chooses the image for p in a multi-platform index, instead
// of the host's (skopeo's --override-os, --override-arch,
// --override-variant). Empty fields are the host's.
func WithPlatform(p Platform) Option {
	return callOption("WithPlatform", func(s *settings) error { s.platform = p; return nil })
}

// WithAllPlatforms copies a multi-platform index whole: the index and
// every image in it (skopeo's --all).
func WithAllPlatforms() Option {
	return callOption("WithAllPlatforms", func(s *settings) error {
		s.multiArch, s.platforms = copier.All, nil
		return nil
	})
}

// WithPlatforms copies the images of a multi-platform index for the
// platforms given, and writes an index of those alone.
func WithPlatforms(ps ...Platform) Option {
	return callOption("WithPlatforms", func(s *settings) error {
		if len(ps) == 0 {
			return fmt.Errorf("%w: WithPlatforms: no platform given", ErrInvalidArgument)
		}
		s.multiArch, s.platforms = copier.Platforms, append([]Platform(nil), ps...)
		return nil
	})
}

// WithIndexOnly copies a multi-platform index alone, without its images.
func WithIndexOnly() Option {
	return callOption("WithIndexOnly", func(s *settings) error {
		s.multiArch, s.platforms = copier.IndexOnly, nil
		return nil
	})
}

// WithFormat converts manifests to format: "oci" or "v2s2" (Docker
// schema 2). By default manifests keep their format.
func WithFormat(format string) Option {
	return callOption("WithFormat", func(s *settings) error { s.format = format; return nil })
}

// WithCompression recompresses layers with algorithm ("gzip", "zstd", or
// "none" to store them uncompressed) at level (gzip 1-9, zstd 1-22; 0 for
// the default). By default layers keep their compression.
func WithCompression(algorithm string, level int) Option {
	return callOption("WithCompression", func(s *settings) error {
		s.compression, s.compressionLevel = algorithm, level
		return nil
	})
}

// WithOverwrite lets a copy replace an existing docker-archive file. By
// default a docker-archive destination naming a non-empty regular file is
// refused with ErrInvalidArgument, as skopeo refuses it, so a mistyped
// path does not cost a file.
func WithOverwrite() Option {
	return callOption("WithOverwrite", func(s *settings) error { s.overwrite = true; return nil })
}

// WithPreserveDigests refuses any change that would alter a digest
// (skopeo's --preserve-digests).
func WithPreserveDigests() Option {
	return callOption("WithPreserveDigests", func(s *settings) error { s.preserveDigests = true; return nil })
}

// WithoutSignatures copies an image without its signatures (skopeo's
// --remove-signatures). By default signatures are copied, and a copy that
// would lose or invalidate them is refused.
func WithoutSignatures() Option {
	return callOption("WithoutSignatures", func(s *settings) error { s.removeSignatures = true; return nil })
}

// WithSigners adds a signature by each signer to the copied image
// (skopeo's --sign-by). Package signature makes signers from an OpenPGP
// key (signature.CopySigner).
func WithSigners(signers ...copier.Signer) Option {
	return callOption("WithSigners", func(s *settings) error { s.signers = append(s.signers, signers...); return nil })
}

// WithPolicy checks every image copied against a trust policy (parsed
// with policy.Parse or policy.Load from a containers-policy.json(5)),
// before anything is written; a refusal is an error matching ErrRejected.
// Without a policy, every image is accepted.
func WithPolicy(p *policy.Policy) Option {
	return callOption("WithPolicy", func(s *settings) error { s.policy, s.check = p, nil; return nil })
}

// WithPolicyCheck checks every image copied with a policy of the caller's
// own; a refusal is an error matching ErrRejected.
func WithPolicyCheck(p copier.Policy) Option {
	return callOption("WithPolicyCheck", func(s *settings) error { s.check, s.policy = p, nil; return nil })
}

// WithProgress calls f with each progress event. f must be safe for
// concurrent use and return quickly: it is called from the transfers.
func WithProgress(f func(Event)) Option {
	return callOption("WithProgress", func(s *settings) error { s.progress = f; return nil })
}

// WithLabel names the copy in its progress events (Event.Image) instead
// of the source's full name.
func WithLabel(label string) Option {
	return callOption("WithLabel", func(s *settings) error { s.label = label; return nil })
}

// WithLogger sends debug logs and warnings to l. By default nothing is
// logged.
func WithLogger(l *slog.Logger) Option {
	return callOption("WithLogger", func(s *settings) error { s.logger = l; return nil })
}

// WithConcurrency copies at most n blobs at once (default 6, as skopeo's
// --image-parallel-copies). For a sync, n bounds the blobs in flight
// across all the images copied at once (default twice
// SyncOptions.Images, at least 6).
func WithConcurrency(n int) Option {
	return callOption("WithConcurrency", func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("%w: WithConcurrency(%d): want a positive number", ErrInvalidArgument, n)
		}
		s.concurrency = n
		return nil
	})
}

// WithBlobCache keeps downloads of large blobs in dir ("" for
// $XDG_CACHE_HOME/ferry/blobs) while they arrive, fetched over several
// connections, so an interrupted copy resumes where it stopped. By
// default blobs stream from source to destination and nothing is kept.
func WithBlobCache(dir string) Option {
	return callOption("WithBlobCache", func(s *settings) error {
		s.blobCache, s.blobCacheDir = true, dir
		return nil
	})
}

// WithConnections opens up to n connections per registry host for the
// downloads of WithBlobCache (default 16).
func WithConnections(n int) Option {
	return callOption("WithConnections", func(s *settings) error {
		if n < 1 {
			return fmt.Errorf("%w: WithConnections(%d): want at least 1", ErrInvalidArgument, n)
		}
		s.connections = n
		return nil
	})
}

// WithRetry retries an operation that failed in a way that may pass (a
// 5xx, a rate limit, a dropped connection) up to times more times,
// waiting delay between attempts (0: exponential back-off from 1s), as
// skopeo's --retry-times and --retry-delay.
func WithRetry(times int, delay time.Duration) Option {
	return callOption("WithRetry", func(s *settings) error {
		if times < 0 || delay < 0 {
			return fmt.Errorf("%w: WithRetry: times and delay must not be negative", ErrInvalidArgument)
		}
		s.retries, s.retryWait = times, delay
		return nil
	})
}

// WithoutRepoTags leaves RepoTags out of Inspect's result, saving the
// request that lists the repository's tags (skopeo's --no-tags).
func WithoutRepoTags() Option {
	return callOption("WithoutRepoTags", func(s *settings) error { s.noTags = true; return nil })
}

// WithStdin is what an archive named "-" (docker-archive:-,
// oci-archive:-) is read from. Without it, "-" is an error: the library
// never reads the process's standard input on its own.
func WithStdin(r io.Reader) Option {
	return callOption("WithStdin", func(s *settings) error { s.stdin = r; return nil })
}

// WithStdout is what an archive named "-" is written to.
func WithStdout(w io.Writer) Option {
	return callOption("WithStdout", func(s *settings) error { s.stdout = w; return nil })
}

// WithTempDir puts temporary files in dir instead of the system's.
func WithTempDir(dir string) Option {
	return callOption("WithTempDir", func(s *settings) error { s.tmpDir = dir; return nil })
}

// WithUserAgent is the User-Agent sent to registries.
func WithUserAgent(ua string) Option {
	return callOption("WithUserAgent", func(s *settings) error { s.userAgent = ua; return nil })
}

// WithRegistryPool makes the client use p's registry sessions
// (connections, tokens, hints) instead of its own, for a program that
// also uses package registry directly; the caller closes p. A client
// option.
func WithRegistryPool(p *registry.Pool) Option {
	return clientOption("WithRegistryPool", func(s *settings) error { s.pool = p; return nil })
}

// WithRegistryHints records what the client learns about registries
// (which repositories hold which blobs, request size limits) in the file
// at path instead of $XDG_CACHE_HOME/ferry/registry-hints.json. A client
// option; a pool given with WithRegistryPool keeps its own.
func WithRegistryHints(path string) Option {
	return clientOption("WithRegistryHints", func(s *settings) error { s.hintsPath, s.noHints = path, false; return nil })
}

// WithoutRegistryHints neither reads nor writes the registry hints file.
// A client option; a pool given with WithRegistryPool keeps its own.
func WithoutRegistryHints() Option {
	return clientOption("WithoutRegistryHints", func(s *settings) error { s.noHints = true; return nil })
}

// WithRegistriesDir reads the containers-registries.d(5) files in dir
// ("" for the directories containers/image searches) to find where
// signatures of registry images are kept. Without it, only the built-in
// default location is used. A client option.
func WithRegistriesDir(dir string) Option {
	return clientOption("WithRegistriesDir", func(s *settings) error { s.registriesD = &dir; return nil })
}

// WithRegistriesConf applies containers-registries.conf(5): mirrors tried
// before a registry for pulls, location rewrites, blocked and insecure
// registries. path names the one file to read (skopeo's
// --registries-conf); "" reads the files containers/image reads
// ($CONTAINERS_REGISTRIES_CONF, else the user's, /etc's or /usr/share's
// registries.conf with their registries.conf.d drop-ins). Without it, no
// registries.conf is read: names mean what they say. A client option.
func WithRegistriesConf(path string) Option {
	return clientOption("WithRegistriesConf", func(s *settings) error { s.registriesConf = &path; return nil })
}
