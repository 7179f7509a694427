// Package progress carries transfer events from the library to whoever
// shows them. The library only emits events; the CLI decides how to render
// them (bars on a TTY, plain lines in CI logs, JSON lines for tools).
package progress

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Kind says what happened to a blob.
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
)

// Event is one thing that happened to one blob.
type Event struct {
	Kind       Kind
	Descriptor ocispec.Descriptor
	// Bytes is the count of new bytes for Advanced, the total for Done.
	Bytes int64
	Err   error
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
