// Package copier is ferry's copy engine. It is a function, Copy, not a
// service, and runs each copy in phases:
//
//  1. resolve: read the source's top manifest, the instances the options
//     choose and, where the source stores them, their signatures;
//  2. check: hand each resolved image to the Policy, before any blob is
//     read and before the destination is opened;
//  3. plan: open the destination and decide every conversion, refusing
//     what would invalidate signatures or digests before a byte moves;
//  4. transfer: move blobs concurrently, verified at the boundary;
//  5. manifests and signatures: write them, each signature after its
//     manifest;
//  6. commit.
//
// A source read once, front to back (an archive on stdin), reverses 2 and
// 3 only when the policy accepts the source blindly (see Policy).
package copier

import (
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// MultiArch says what to copy when the source is an index, as skopeo's
// --multi-arch does.
type MultiArch int

const (
	// System copies the one instance for the chosen platform (the default).
	System MultiArch = iota
	// All copies the index and every instance (skopeo's --all).
	All
	// IndexOnly copies the index alone, without its instances.
	IndexOnly
	// Platforms copies the instances for Options.Platforms and writes an
	// index holding only those.
	Platforms
)

// Options tunes a copy. The zero value copies the host platform's image
// with default concurrency, keeping manifest formats.
type Options struct {
	// Source and Destination are passed to the transports.
	Source, Destination transport.Options
	// Platform overrides parts of the host platform for System.
	Platform  manifest.Platform
	MultiArch MultiArch
	// Platforms lists the instances to keep for MultiArch == Platforms.
	Platforms []manifest.Platform
	// Format converts manifests: "" keeps them, "oci" or "v2s2" converts.
	Format string
	// Compression recompresses layers: "" keeps each layer as it is (but
	// follows the destination's wishes), "gzip", "zstd" or "none".
	Compression string
	// CompressionLevel is the gzip level (1-9) or the zstd level as zstd
	// numbers them (1-22, mapped to the encoder's speeds); 0 is the default.
	CompressionLevel int
	// PreserveDigests refuses any change that would alter a digest.
	PreserveDigests bool
	// RemoveSignatures drops signatures instead of copying them. Without
	// it, a signed image is copied with its signatures, and a copy that
	// would invalidate them (a conversion) or a destination that cannot
	// store them is refused, as skopeo does.
	RemoveSignatures bool
	// SkipExisting copies nothing when the destination already holds the
	// image exactly as the copy would write it (a destination that
	// implements transport.ManifestChecker, and no signatures to write):
	// the copy reports progress.ImageSkipped and Result.Skipped. For sync,
	// where most images are unchanged.
	SkipExisting bool
	// Signers, when set, each add a signature for the top-level manifest
	// the copy writes (the index when it writes one), after the source's
	// signatures; a destination that cannot store signatures is then
	// refused before anything is written.
	Signers []Signer
	// Policy, when set, may refuse the image before anything is copied;
	// nil accepts every image (skopeo's --insecure-policy).
	Policy Policy
	// Concurrency bounds blob transfers in flight (default 6, as skopeo)
	// when Limiter is nil.
	Concurrency int
	// Limiter, when set, bounds blob transfers in flight together with
	// every other copy sharing it; Concurrency is then ignored.
	Limiter *Limiter
	// RetryTimes and RetryDelay retry a failed copy as skopeo's
	// --retry-times/--retry-delay do (0 delay: exponential from 1s).
	RetryTimes int
	RetryDelay time.Duration
	// Fetcher, when set, downloads blobs of at least 1 MiB from sources that
	// serve byte ranges into its resumable cache, over several connections,
	// for destinations that can link a cached file into place (oci:, dir:).
	// Other blobs stream straight from source to destination.
	Fetcher *fetch.Fetcher
	// Logger and Progress receive logs and transfer events; nil discards.
	Logger   *slog.Logger
	Progress progress.Reporter
	// Label names this copy in progress events (progress.Event.Image);
	// "" means the source's full name.
	Label string
}

// Result says what was written.
type Result struct {
	// Manifest is the top manifest written, with its media type and digest
	// (what --digestfile records).
	Manifest  []byte
	MediaType string
	Digest    digest.Digest
	// Skipped: the destination already held the image (SkipExisting) and
	// nothing was written.
	Skipped bool
}
