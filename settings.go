package ferry

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport/storage"
)

// settings is what the options of a client and of one call add up to.
// The zero value is every default.
type settings struct {
	src, dst side
	// scope is where side options go: nil for both sides, else the side
	// Source or Destination named (scopeName).
	scope     *side
	scopeName string
	// call is set while a call's options are applied, so that options that
	// shape the client itself can refuse to be given per call.
	call bool

	logger    *slog.Logger
	progress  func(Event)
	label     string
	userAgent string
	tmpDir    string
	stdin     io.Reader
	stdout    io.Writer
	retries   int
	retryWait time.Duration

	// What to copy and how.
	platform         manifest.Platform
	multiArch        copier.MultiArch
	platforms        []manifest.Platform
	format           string
	compression      string
	compressionLevel int
	preserveDigests  bool
	overwrite        bool
	referrers        bool     // WithReferrers
	artifactTypes    []string // WithReferrers' filter
	removeSignatures bool
	signers          []copier.Signer
	policy           *policy.Policy
	check            copier.Policy
	concurrency      int
	blobCache        bool
	blobCacheDir     string
	connections      int
	noTags           bool
	storageBackend   storage.Backend // WithContainersStorage; nil parses the names only

	// The client's own: its registry sessions and configuration files.
	pool           *registry.Pool
	hintsPath      string
	noHints        bool
	registriesD    *string
	registriesConf *string
}

// side is what one image of an operation is reached with: the source or
// the destination of a copy (an operation on one image uses the source's).
type side struct {
	creds          []hostValue // user and password, per host ("" any)
	tokens         []hostValue // bearer tokens, per host
	anonymous      bool
	authFile       string
	dockerAuth     bool // authFile is Docker's config.json, written as Docker does
	insecureAll    bool
	insecure       []string
	certDir        string
	daemonHost     string
	chunkSize      int64
	additionalTags []string
	sharedBlobDir  string
}

// hostValue is a credential for one registry host, or for any ("").
type hostValue struct {
	host, user, secret string
}

// clone returns a copy of s that shares no slice with it, for one call's
// options to add to.
func (s *settings) clone() *settings {
	c := *s
	c.src, c.dst = s.src.clone(), s.dst.clone()
	c.platforms = slices.Clone(s.platforms)
	c.signers = slices.Clone(s.signers)
	c.scope = nil
	return &c
}

func (sd side) clone() side {
	sd.creds = slices.Clone(sd.creds)
	sd.tokens = slices.Clone(sd.tokens)
	sd.insecure = slices.Clone(sd.insecure)
	sd.additionalTags = slices.Clone(sd.additionalTags)
	return sd
}

// apply applies opts in order.
func (s *settings) apply(opts []Option) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return err
		}
	}
	if err := s.src.check("source"); err != nil {
		return err
	}
	return s.dst.check("destination")
}

// sides are the sides a side option applies to.
func (s *settings) sides() []*side {
	if s.scope != nil {
		return []*side{s.scope}
	}
	return []*side{&s.src, &s.dst}
}

// log is the logger, or one that discards.
func (s *settings) log() *slog.Logger {
	if s.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.logger
}

// check refuses settings of one side that contradict each other.
func (sd *side) check(name string) error {
	if sd.anonymous && (len(sd.creds) > 0 || len(sd.tokens) > 0) {
		return fmt.Errorf("%w: the %s is reached anonymously (WithAnonymous) and with credentials at once", ErrInvalidArgument, name)
	}
	return nil
}

// auth is the credential settings for an image on the registry domain
// ("" for images not in a registry): the host's own credentials, else
// those given for any host.
func (sd *side) auth(domain string) auth.Settings {
	a := auth.Settings{NoCreds: sd.anonymous, AuthFile: sd.authFile}
	if c, ok := forHost(sd.creds, domain); ok {
		a.Username, a.Password = c.user, c.secret
	}
	if t, ok := forHost(sd.tokens, domain); ok {
		a.BearerToken = t.secret
	}
	return a
}

// insecureFor reports whether domain may be reached over plain HTTP or
// unverified TLS.
func (sd *side) insecureFor(domain string) bool {
	return sd.insecureAll || slices.Contains(sd.insecure, domain)
}

// forHost picks the last value given for domain, else the last for any
// host.
func forHost(vs []hostValue, domain string) (hostValue, bool) {
	var anyHost *hostValue
	for i := len(vs) - 1; i >= 0; i-- {
		switch vs[i].host {
		case domain:
			return vs[i], true
		case "":
			if anyHost == nil {
				anyHost = &vs[i]
			}
		}
	}
	if anyHost != nil {
		return *anyHost, true
	}
	return hostValue{}, false
}

// normalHost spells a registry host as image names do: without a scheme
// or trailing slash, Docker Hub's hosts as "docker.io".
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://"), "/")
	switch h {
	case "index.docker.io", "registry-1.docker.io":
		return "docker.io"
	}
	return h
}
