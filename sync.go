package ferry

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/mirror"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
)

// SyncOptions are the settings only a sync has; everything else
// (credentials and TLS of each side, trust policy, platforms, formats,
// progress, logging, retries, concurrency) comes from the Options given
// with it, as for Copy. The zero value is skopeo sync's default.
type SyncOptions struct {
	// Scoped names each destination after the full source name
	// (HOST/PATH:TAG) instead of its last path element (skopeo's
	// --scoped).
	Scoped bool
	// AppendSuffix is appended to every destination name (skopeo's
	// --append-suffix).
	AppendSuffix string
	// IncludeTags, when set, keeps only the tags it matches; ExcludeTags
	// drops the tags it matches. Each must match the whole tag ("3\.20"
	// keeps 3.20, not 3.20.1). They apply to images named by tag.
	IncludeTags, ExcludeTags *regexp.Regexp
	// NewestTags, when positive, keeps in each repository only that many
	// tags, those with the highest semantic versions; tags that are not
	// versions are dropped.
	NewestTags int
	// Shard, when its Count is above 1, keeps only this worker's part of
	// the source repositories, for workers that split a sync without
	// talking to each other.
	Shard SyncShard
	// Images is how many images are copied at once (default
	// DefaultSyncImages). The blob
	// transfers of all of them together are bounded by WithConcurrency
	// (default twice Images, at least 6).
	Images int
	// KeepGoing copies the remaining images after one fails (skopeo's
	// --keep-going); without it the first failure stops the sync.
	KeepGoing bool
	// CopyUnchanged copies every image even when the destination already
	// holds it (as skopeo does). By default such an image is skipped
	// after one request per side.
	CopyUnchanged bool
	// Referrers also copies what is attached to each image (cosign's
	// sha256-HEX.sig/.att/.sbom tags and OCI referrers, see WithReferrers),
	// after the image is copied or found unchanged; ArtifactTypes, when
	// set, keeps only referrers of those artifact types. Images keep their
	// digests, since the artifacts name them by digest.
	Referrers     bool
	ArtifactTypes []string
	// OnStart, when set, is called as each image's copy starts, from
	// several goroutines at once.
	OnStart func(SyncImage)
	// OnResult, when set, receives each image's result in plan order,
	// from one goroutine at a time, as the results come.
	OnResult func(SyncResult)
}

// DefaultSyncImages is how many images a sync copies at once unless
// SyncOptions.Images says otherwise.
const DefaultSyncImages = mirror.DefaultImages

// SyncShard is one worker's part of a sync split over Count workers: the
// images of a source repository all go to the worker Index (0 to
// Count-1) a stable hash of the repository's name picks.
type SyncShard = mirror.Shard

// ParseSyncShard reads a shard as "I/N" (I from 0 to N-1) or "auto/N",
// which takes I from $JOB_COMPLETION_INDEX, the variable Kubernetes sets
// in each pod of an Indexed Job. An error matches ErrInvalidArgument.
func ParseSyncShard(s string) (SyncShard, error) { return mirror.ParseShard(s) }

// SyncResult is one image's outcome in a sync; its JSON encoding is a
// line of the CLI's --report.
type SyncResult = mirror.Result

// SyncSummary is what a sync did, image by image in plan order.
type SyncSummary = mirror.Summary

// SyncStatus is what a sync did with one image.
type SyncStatus = mirror.Status

// The statuses of a SyncResult.
const (
	SyncCopied  SyncStatus = mirror.Copied
	SyncSkipped SyncStatus = mirror.Skipped
	SyncFailed  SyncStatus = mirror.Failed
)

// SyncImage is one image a sync copies.
type SyncImage struct {
	// Source and Destination are full image names
	// ("docker://HOST/PATH:TAG", "oci:/srv/mirror:alpine:3.20").
	Source, Destination string
	// Repository is the source repository (HOST/PATH, or the image's
	// path below a dir: source).
	Repository string
	// N is the image's position (from 1) among the Of images of its
	// source repository, as skopeo's "image ref N/M" lines count.
	N, Of int
}

// SyncPlan is a sync's list of images, made and checked before anything
// is copied: what a dry run shows. Run copies it.
type SyncPlan struct {
	// Images are the images to copy, in order.
	Images []SyncImage
	// Sources counts the source repositories holding them (skopeo's
	// "from M sources").
	Sources int
	// Failed lists the repositories that could not be listed, when
	// KeepGoing lets the sync go on without them.
	Failed []SyncResult

	plan *mirror.Plan
}

// PlanSync lists what src holds, keeps the tags and the shard so says,
// and names each image under dst, copying nothing. src is
// "docker://HOST/REPO" (every tag of a repository), "docker://HOST/REPO:TAG"
// (one image), "dir:PATH" (every directory below PATH holding a
// manifest.json) or "yaml:FILE" (skopeo's sync file); dst is
// "docker://HOST/NAMESPACE", "dir:PATH" or "oci:PATH" (one OCI layout
// holding every image under its name). Each image goes to
// dst/NAME[:TAG], NAME being the source repository's last path element
// (or its full name, SyncOptions.Scoped). Bad input and sources that
// cannot be listed are errors here, before the first copy.
func (c *Client) PlanSync(ctx context.Context, src, dst string, so SyncOptions, opts ...Option) (*SyncPlan, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, err
	}
	m, srcPath, dstPath, err := c.mirrorOptions(s, src, dst, &so)
	if err != nil {
		return nil, err
	}
	p, err := mirror.NewPlan(ctx, srcPath, dstPath, m)
	if err != nil {
		return nil, err
	}
	out := &SyncPlan{Sources: p.Sources, Failed: p.Failed, plan: p}
	for _, img := range p.Images {
		out.Images = append(out.Images, syncImage(img))
	}
	return out, nil
}

// Run copies the plan's images, several at once over the client's
// registry sessions, each as Copy would (verified, signatures kept, the
// destination unchanged by a failed copy). It returns what it did, even
// with an error: the first failure, or with KeepGoing an error saying how
// many images failed.
func (p *SyncPlan) Run(ctx context.Context) (*SyncSummary, error) {
	return p.plan.Run(ctx)
}

// Sync copies every image src holds to dst: PlanSync, then Run.
func (c *Client) Sync(ctx context.Context, src, dst string, so SyncOptions, opts ...Option) (*SyncSummary, error) {
	p, err := c.PlanSync(ctx, src, dst, so, opts...)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx)
}

// Sync copies every image src holds to dst with a client made for this
// one call; see Client.PlanSync and Client.Sync.
func Sync(ctx context.Context, src, dst string, so SyncOptions, opts ...Option) (*SyncSummary, error) {
	return oneShot(opts, func(c *Client) (*SyncSummary, error) { return c.Sync(ctx, src, dst, so) })
}

// mirrorOptions are the mirror package's options for a sync from src to
// dst, and the locations those names give.
func (c *Client) mirrorOptions(s *settings, src, dst string, so *SyncOptions) (m mirror.Options, srcPath, dstPath string, err error) {
	if m.Source, srcPath, err = syncLocation("source", src, mirror.Docker, mirror.Dir, mirror.YAML); err != nil {
		return m, "", "", err
	}
	if m.Destination, dstPath, err = syncLocation("destination", dst, mirror.Docker, mirror.Dir, mirror.OCI); err != nil {
		return m, "", "", err
	}
	if so.Images < 0 || so.NewestTags < 0 {
		return m, "", "", fmt.Errorf("%w: SyncOptions: Images and NewestTags must not be negative", ErrInvalidArgument)
	}
	if sh := so.Shard; sh.Count < 0 || sh.Count > 0 && (sh.Index < 0 || sh.Index >= sh.Count) {
		return m, "", "", fmt.Errorf("%w: SyncOptions.Shard %d/%d: want an index from 0 to Count-1", ErrInvalidArgument, sh.Index, sh.Count)
	}
	if m.Copy, err = s.copierOptions(); err != nil {
		return m, "", "", err
	}
	// WithConcurrency bounds a sync's transfers across all its images.
	m.Transfers, m.Copy.Concurrency = s.concurrency, 0
	m.SourceRegistry = func(host string) docker.Config {
		return c.dockerConfig(s, &s.src, normalHost(host))
	}
	m.DestinationDocker = c.dockerConfig(s, &s.dst, registryDomain(dst))
	m.Scoped, m.AppendSuffix = so.Scoped, so.AppendSuffix
	m.Filter = mirror.Filter{Include: wholeTag(so.IncludeTags), Exclude: wholeTag(so.ExcludeTags), Newest: so.NewestTags}
	m.Shard = so.Shard
	m.Images, m.KeepGoing, m.NoSkip = so.Images, so.KeepGoing, so.CopyUnchanged
	m.Referrers, m.ArtifactTypes = so.Referrers, so.ArtifactTypes
	m.Logger = s.logger
	if f := so.OnStart; f != nil {
		m.OnStart = func(img mirror.Image) { f(syncImage(img)) }
	}
	m.OnResult = so.OnResult
	return m, srcPath, dstPath, nil
}

// syncLocation takes a sync's source or destination name apart: its kind
// (one of kinds) and the location the mirror package reads ("HOST/PATH"
// for a registry, else a path).
func syncLocation(what, name string, kinds ...mirror.Kind) (mirror.Kind, string, error) {
	var names []string
	for _, k := range kinds {
		names = append(names, string(k))
	}
	k, rest, ok := strings.Cut(name, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: sync %s %q: want TRANSPORT:LOCATION, TRANSPORT one of %s", ErrInvalidName, what, name, strings.Join(names, ", "))
	}
	kind := mirror.Kind(k)
	if !slices.Contains(kinds, kind) {
		return "", "", fmt.Errorf("%w: %q is not a valid %s transport (want %s)", ErrInvalidArgument, k, what, strings.Join(names, ", "))
	}
	if kind == mirror.Docker {
		if rest, ok = strings.CutPrefix(rest, "//"); !ok {
			return "", "", fmt.Errorf("%w: sync %s %q: a registry is named docker://HOST/PATH", ErrInvalidName, what, name)
		}
	}
	return kind, rest, nil
}

// wholeTag anchors re so that it must match a whole tag.
func wholeTag(re *regexp.Regexp) *regexp.Regexp {
	if re == nil {
		return nil
	}
	return regexp.MustCompile(`^(?:` + re.String() + `)$`)
}

func syncImage(img mirror.Image) SyncImage {
	return SyncImage{Source: transport.FullName(img.Source), Destination: transport.FullName(img.Destination),
		Repository: img.Repository, N: img.N, Of: img.Of}
}
