// Package progress carries transfer events from the library to whoever
// shows them. The library only emits events; the CLI decides how to render
// them (bars on a TTY, plain lines in CI logs, JSON lines for tools).
//
// Events come at two levels: blob events (Started ... Failed) say what
// happened to one blob, image events (ImageStarted ... ImageFailed) bracket
// one image copy. Both name their image, so a caller running many copies
// at once (sync) through one Reporter can tell them apart.
package progress

import (
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Kind says what happened.
type Kind int

const (
	// Started: the transfer of a blob began.
	Started Kind = iota
	// Advanced: Bytes more bytes of the blob arrived.
	Advanced
	// Skipped: the destination already had the blob.
	Skipped
	// Done: the blob is complete and verified.
	Done
	// Failed: the transfer failed with Err.
	Failed
	// Queued: the copy will handle the blob; sent for every blob once the
	// copy is planned, before any moves, so that a renderer knows the
	// total from the start even when the destination takes blobs one at
	// a time.
	Queued

	// ImageStarted: a copy of Image began (before anything is read).
	ImageStarted
	// ImageSkipped: the destination already holds the image; nothing was
	// copied. Descriptor is its top manifest.
	ImageSkipped
	// ImageDone: the image is committed at the destination. Descriptor is
	// the top manifest written.
	ImageDone
	// ImageFailed: the copy of Image failed with Err; the destination is
	// as it was.
	ImageFailed
	// ImageStep: the copy of Image reached the step Step (reading
	// signatures, writing the manifest, committing, ...).
	ImageStep
)

// Step is a stage of an image copy, as skopeo announces them.
type Step int

const (
	// StepSignatures: reading the source's signatures (of the index when
	// List).
	StepSignatures Step = iota + 1
	// StepInstances: Index of the Count images of an index will be copied.
	StepInstances
	// StepInstance: the copy of the instance Descriptor, number Index of
	// Count, begins.
	StepInstance
	// StepManifest: writing the manifest (the index when List).
	StepManifest
	// StepStoreSignatures: writing the signatures (the index's when List).
	StepStoreSignatures
	// StepCommit: every blob and manifest is written; the destination
	// Detail is committing, which can take minutes (the Docker daemon
	// importing the image). ImageDone or ImageFailed ends it.
	StepCommit
)

// IsImage reports whether k is an image-level kind.
func (k Kind) IsImage() bool { return k >= ImageStarted }

// Event is one thing that happened to one blob or one image.
type Event struct {
	Kind Kind
	// Image names the image copy the event belongs to, as the caller of
	// the copy labelled it (by default the source's full name,
	// "docker://nginx:1.27"); "" for events from outside a copy.
	Image string
	// Instance is the digest of the index instance a blob belongs to, when
	// the copy writes several images of an index; "" otherwise. A blob
	// shared by several instances is moved once and names the first.
	Instance digest.Digest
	// Descriptor is the blob (blob events) or the top manifest (ImageDone,
	// ImageSkipped); zero for ImageStarted and ImageFailed.
	Descriptor ocispec.Descriptor
	// Bytes is the count of new bytes for Advanced, the total for Done.
	Bytes int64
	// Cached marks Advanced bytes taken from ferry's blob cache on this
	// machine (a partial blob resumed, a blob fetched by an earlier run)
	// rather than read from the source.
	Cached bool
	Err    error

	// Step, List, Index, Count and Detail describe an ImageStep.
	Step         Step
	List         bool
	Index, Count int
	Detail       string
}

// Reporter receives events. Implementations must be safe for concurrent use
// and fast: they are called from the transfer path.
type Reporter interface {
	Report(Event)
}

type discard struct{}

func (discard) Report(Event) {}

// Discard drops every event.
var Discard Reporter = discard{}
