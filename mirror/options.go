package mirror

import (
	"log/slog"
	"regexp"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/transport/docker"
)

// Kind is a sync source or destination type.
type Kind string

const (
	// Docker is a registry: a repository (all its tags) or one image as a
	// source, a registry namespace as a destination.
	Docker Kind = "docker"
	// Dir is a tree of dir: images: every directory holding a
	// manifest.json as a source, a directory of them as a destination.
	Dir Kind = "dir"
	// YAML is skopeo's sync file (source only).
	YAML Kind = "yaml"
	// OCI is one OCI layout holding every image under its ref name
	// (destination only; a ferry extension). Docker manifests are
	// converted to OCI ones, as skopeo copy does for a layout, unless
	// Copy.Format or Copy.PreserveDigests says otherwise.
	OCI Kind = "oci"
)

// Options tune a sync. Source and Destination are required; the zero
// value of every other field is skopeo sync's default.
type Options struct {
	Source, Destination Kind

	// Copy is the copy each image gets (formats, signatures, policy,
	// retries, progress, transport options). Sync sets Limiter, Label
	// and SkipExisting itself.
	Copy copier.Options
	// SourceDocker and DestinationDocker configure the docker transport
	// of each side (credentials, TLS, the shared registry.Pool). A YAML
	// registry's credentials, tls-verify and cert-dir override
	// SourceDocker for that registry.
	SourceDocker, DestinationDocker docker.Config
	// SourceRegistry, when set, configures the docker transport for one
	// source registry host instead of SourceDocker: for a caller whose
	// credentials and TLS settings differ per host.
	SourceRegistry func(host string) docker.Config

	// Scoped names destinations after the full source name
	// (HOST/PATH:TAG) instead of its last path element (skopeo's
	// --scoped).
	Scoped bool
	// AppendSuffix is appended to every destination name (skopeo's
	// --append-suffix).
	AppendSuffix string

	// Filter chooses among the tags a source lists.
	Filter Filter
	// Shard, when Count > 0, keeps only this worker's part of the images.
	Shard Shard

	// Images is how many images are copied at once (default
	// DefaultImages); up to 16 more are checked for being unchanged
	// meanwhile. Transfers bounds blob transfers in flight across all of
	// them (default: twice Images, at least the copier's 6).
	Images    int
	Transfers int
	// KeepGoing copies the remaining images after one fails; without it
	// the first failure stops the sync (skopeo's --keep-going).
	KeepGoing bool
	// NoSkip copies every image even when the destination already holds
	// it (as skopeo does).
	NoSkip bool

	// Referrers copies, after each image is copied or found unchanged,
	// the artifacts attached to it (cosign's tags, OCI referrers; see
	// package artifacts), for registries and oci: layouts. It implies
	// Copy.PreserveDigests: the artifacts name the image by digest.
	// ArtifactTypes, when set, keeps only referrers of these types.
	Referrers     bool
	ArtifactTypes []string

	// OnResult, when set, receives each image's Result, in plan order,
	// from one goroutine at a time.
	OnResult func(Result)
	// OnStart, when set, is called as each image's copy starts (from
	// several goroutines at once).
	OnStart func(Image)
	// Logger receives logs; nil discards.
	Logger *slog.Logger
}

// DefaultImages is how many images a sync copies at once by default:
// enough to hide a slow link's latency, few enough that one image's
// blobs still get most of the transfer slots.
const DefaultImages = 8

// Filter chooses tags. It applies to every image a source names by tag
// (listed or written out in a YAML file); images named by digest pass.
type Filter struct {
	// Include, when set, keeps only tags it matches; Exclude drops the
	// tags it matches. Both are matched against the whole tag (see
	// AnchorTagPattern).
	Include, Exclude *regexp.Regexp
	// Newest, when positive, keeps in each repository only the Newest
	// tags with the highest semantic versions; tags that are not
	// versions are dropped.
	Newest int
}

func (o *Options) log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// sourceDocker is the docker configuration for the source registry host.
func (o *Options) sourceDocker(host string) docker.Config {
	if o.SourceRegistry != nil {
		return o.SourceRegistry(host)
	}
	return o.SourceDocker
}
