package fetch

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/progress"
)

// Defaults, each overridden by the Option of the same name.
const (
	// DefaultThreshold: blobs at least this large are fetched over several
	// connections; smaller ones over one.
	DefaultThreshold = 8 << 20
	// DefaultChunkSize is the largest range handed to a connection at once.
	DefaultChunkSize = 16 << 20
	// DefaultConnections bounds the connections open to one host. Links
	// that cap each connection (the case ferry is for) scale with it;
	// download accelerators use the same order of magnitude.
	DefaultConnections = 16
	// DefaultStallTimeout: a connection that delivers no byte for this long
	// is dropped and its range fetched again from its last byte.
	DefaultStallTimeout = 30 * time.Second
	// DefaultRetries is how many times in a row a connection retries
	// without a byte of progress before the fetch fails.
	DefaultRetries = 5
	// DefaultRetryDelay is the first backoff, doubled per failed attempt.
	DefaultRetryDelay = 500 * time.Millisecond
	// DefaultCheckpointBytes and DefaultCheckpointInterval: the partial
	// file is fsynced and its sidecar rewritten after this many new bytes,
	// or this long after the last save when new bytes arrived, bounding
	// what a crash can lose. Every 100 ms, the syncs of a throttled copy
	// (16 connections, 160 MB/s) stalled its writes (3 runs each: 8.5 s
	// against 7.8 s every 250 ms); every 250 ms, a copy killed halfway
	// fetches 4-5% of the image again instead of 3%.
	DefaultCheckpointBytes    = 64 << 20
	DefaultCheckpointInterval = 250 * time.Millisecond
	// DefaultMaxBytes bounds the cache; completed blobs are evicted least
	// recently used first.
	DefaultMaxBytes = 10 << 30
)

// bufSize is what the first connection of a blob reads at a time until
// the link proves slow (on a fast link the only one; larger buffers gained
// no time in the benchmark's fast scenario and cost peak memory); the
// others, on a link slow enough for them to help, get rangeBufSize, more
// than such a link delivers between two reads, so many connections cost
// little memory.
// minSplitFloor keeps a split range well above either (see
// blobFetch.take); it does not shrink with the buffers, since a smaller
// split also leaves more of what a server already sent unread.
const (
	bufSize       = 64 << 10
	rangeBufSize  = 16 << 10
	minSplitFloor = 512 << 10
)

type options struct {
	dir             string
	threshold       int64
	chunk           int64
	conns           int
	stall           time.Duration
	retries         int
	retryDelay      time.Duration
	checkpointBytes int64
	checkpointEvery time.Duration
	maxBytes        int64
	log             *slog.Logger
	progress        progress.Reporter
	stream          streamTuning
}

func defaultOptions() options {
	return options{
		threshold: DefaultThreshold, chunk: DefaultChunkSize, conns: DefaultConnections,
		stall: DefaultStallTimeout, retries: DefaultRetries, retryDelay: DefaultRetryDelay,
		checkpointBytes: DefaultCheckpointBytes, checkpointEvery: DefaultCheckpointInterval,
		maxBytes: DefaultMaxBytes,
		log:      slog.New(slog.DiscardHandler), progress: progress.Discard,
		stream: streamTuning{probe: DefaultLinkProbe, fast: DefaultFastRate},
	}
}

func (o *options) check() error {
	switch {
	case o.threshold < 0:
		return fmt.Errorf("%w: fetch threshold %d is negative", errdefs.ErrInvalidArgument, o.threshold)
	case o.chunk < minSplitFloor:
		return fmt.Errorf("%w: fetch chunk size %d is below %d bytes", errdefs.ErrInvalidArgument, o.chunk, minSplitFloor)
	case o.conns < 1:
		return fmt.Errorf("%w: fetch needs at least one connection per host, got %d", errdefs.ErrInvalidArgument, o.conns)
	case o.stall <= 0:
		return fmt.Errorf("%w: fetch stall timeout %v is not positive", errdefs.ErrInvalidArgument, o.stall)
	case o.retries < 0 || o.retryDelay < 0:
		return fmt.Errorf("%w: fetch retries %d and delay %v must not be negative", errdefs.ErrInvalidArgument, o.retries, o.retryDelay)
	case o.checkpointBytes <= 0 || o.checkpointEvery <= 0:
		return fmt.Errorf("%w: fetch checkpoints need a positive size and interval", errdefs.ErrInvalidArgument)
	}
	return nil
}

// Option tunes a Fetcher.
type Option func(*options)

// WithDir sets the cache directory (for example from --tmpdir); the
// default is DefaultDir().
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithThreshold sets the size from which a blob is fetched over several
// connections.
func WithThreshold(n int64) Option { return func(o *options) { o.threshold = n } }

// WithChunkSize sets the largest range handed to one connection at a time.
func WithChunkSize(n int64) Option { return func(o *options) { o.chunk = n } }

// WithConnections sets the connection budget per host, shared by every
// blob the Fetcher fetches.
func WithConnections(n int) Option { return func(o *options) { o.conns = n } }

// WithStallTimeout sets how long a connection may go without delivering a
// byte before it is replaced.
func WithStallTimeout(d time.Duration) Option { return func(o *options) { o.stall = d } }

// WithRetries sets how many times in a row a connection retries without
// progress before the fetch fails, and the first backoff (doubled each
// time; a server's Retry-After wins).
func WithRetries(n int, delay time.Duration) Option {
	return func(o *options) { o.retries, o.retryDelay = n, delay }
}

// WithCheckpoint sets how often progress is made durable: after every n
// new bytes of a blob, and every interval while bytes arrive.
func WithCheckpoint(n int64, interval time.Duration) Option {
	return func(o *options) { o.checkpointBytes, o.checkpointEvery = n, interval }
}

// WithMaxBytes bounds the cache: after each fetch, completed blobs are
// evicted least recently used first until the cache holds at most n bytes.
// n <= 0 leaves the cache unbounded.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithLogger sends debug logs to l.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithProgress reports progress.Advanced events to r as bytes arrive.
func WithProgress(r progress.Reporter) Option {
	return func(o *options) {
		if r != nil {
			o.progress = r
		}
	}
}

// WithLinkProbe tunes the choice between one connection and parallel
// ranges for a large blob (Fetch and Stream): it starts on one request for
// the whole blob, and if over the first probe that connection delivers
// less than fastRate bytes per second of waiting on it (the link, not a
// busy machine, sets the pace), the rest comes in parallel ranges. The
// defaults are DefaultLinkProbe and DefaultFastRate. A probe of 0 skips the probe: every
// large blob goes in ranges from the start when fastRate is above 0, over
// one connection when it is 0.
func WithLinkProbe(probe time.Duration, fastRate float64) Option {
	return func(o *options) { o.stream = streamTuning{probe: probe, fast: fastRate} }
}
