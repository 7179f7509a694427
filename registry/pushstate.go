package registry

import (
	"sync"

	"github.com/opencontainers/go-digest"
)

// Chunk sizes for chunked uploads.
const (
	// DefaultChunkSize is the chunk size when none was asked for and the
	// registry did not say: large enough that a round trip per chunk
	// costs little, small enough to pass common proxy limits and to keep
	// in memory for re-sending.
	DefaultChunkSize = 4 << 20
	// MinChunkSize is the smallest chunk sent (except a blob's last):
	// halving a refused chunk stops there.
	MinChunkSize = 64 << 10
	// MaxChunkSize bounds a chunk, which is held in memory while it is
	// sent; a registry asking for larger chunks (OCI-Chunk-Min-Length)
	// gets one streamed request instead.
	MaxChunkSize = 512 << 20
)

// pushState is what a session learned about uploads to its registry, for
// every blob of every copy in the process: the largest request body known
// to get through (set when the registry or a proxy refused or cut a
// larger one; from then on uploads go in chunks no larger), the limit an
// earlier process recorded, the largest body that did get through, and
// the memory held by resend tails.
type pushState struct {
	mu        sync.Mutex
	loaded    bool
	hinted    int64 // the recorded limit, read once
	maxBody   int64
	confirmed int64
	tails     int64 // memory reserved by resend tails of uploads under way
}

// maxTailMemory bounds the memory that concurrent streamed uploads (of
// every client of a session) of known size keep for resending after a cut connection: the first uploads
// get whole tails, later ones what is left (a cut then costs a retry of
// that blob, not the copy's memory bound).
const maxTailMemory = 8 << 20

// reserveTail sets aside up to want bytes of tail memory and returns what
// it granted with the func that gives it back.
func (c *Client) reserveTail(want int64) (int64, func()) {
	c.push.mu.Lock()
	defer c.push.mu.Unlock()
	grant := max(0, min(want, maxTailMemory-c.push.tails))
	c.push.tails += grant
	return grant, func() {
		c.push.mu.Lock()
		c.push.tails -= grant
		c.push.mu.Unlock()
	}
}

// bodyLimit is the largest request body known to reach the registry, 0
// when no limit was met. The limit recorded by earlier copies is read
// once per session and applies unless this client was given a chunk size
// explicitly.
func (c *Client) bodyLimit() int64 {
	c.push.mu.Lock()
	defer c.push.mu.Unlock()
	if !c.push.loaded {
		c.push.loaded = true
		if n := c.hints.MaxBody(c.host); n > 0 {
			c.push.hinted = max(n, MinChunkSize)
			c.log.Debug("an earlier copy learned the registry's request size limit", "registry", c.host, "limit", c.push.hinted)
		}
	}
	if c.push.maxBody > 0 {
		return c.push.maxBody
	}
	if c.chunkSize == 0 && c.push.hinted > 0 {
		return c.push.hinted
	}
	return 0
}

// learnLimit records that requests of more than n bytes do not get
// through, for this process and (when persist is set) later ones.
func (c *Client) learnLimit(n int64, persist bool) {
	n = max(n, MinChunkSize)
	if limit := c.bodyLimit(); limit > 0 && limit < n {
		n = limit // a hint already said less
	}
	c.push.mu.Lock()
	if c.push.maxBody == 0 || n < c.push.maxBody {
		c.push.maxBody = n
	}
	n = c.push.maxBody
	c.push.mu.Unlock()
	if persist {
		c.hints.SetMaxBody(c.host, n)
	}
}

// confirm records that a request body of n bytes got through.
func (c *Client) confirm(n int64) {
	c.push.mu.Lock()
	c.push.confirmed = max(c.push.confirmed, n)
	c.push.mu.Unlock()
}

// confirmed is the largest request body that got through so far.
func (c *Client) confirmed() int64 {
	c.push.mu.Lock()
	defer c.push.mu.Unlock()
	return c.push.confirmed
}

// wantChunks reports whether blobs go in chunks from the start: a chunk
// size was asked for, or a body limit is known.
func (c *Client) wantChunks() bool { return c.chunkSize > 0 || c.bodyLimit() > 0 }

// wantChunksOnly reports whether a body limit is known: a request larger
// than a chunk would be refused, so there is no falling back to one.
func (c *Client) wantChunksOnly() bool { return c.bodyLimit() > 0 }

// chunkFor is the chunk size for an upload whose session asked for chunks
// of at least minChunk (OCI-Chunk-Min-Length, 0 when unsaid): the size
// asked for (or DefaultChunkSize), lowered to the known body limit, raised
// to the registry's minimum when that does not exceed the limit.
func (c *Client) chunkFor(minChunk int64) int64 {
	n := c.chunkSize
	if n <= 0 {
		n = DefaultChunkSize
	}
	limit := c.bodyLimit()
	if limit > 0 && limit < n {
		n = limit
	}
	if minChunk > n && minChunk <= MaxChunkSize && (limit == 0 || minChunk <= limit) {
		n = minChunk
	}
	return n
}

// monolithicMax is the largest blob sent in a single PUT.
func (c *Client) monolithicMax() int64 {
	n := int64(MonolithicMax)
	if c.chunkSize > 0 {
		n = min(n, c.chunkSize)
	}
	if limit := c.bodyLimit(); limit > 0 {
		n = min(n, limit)
	}
	return n
}

// record notes that repo holds the blob d (a hint for later mounts).
func (c *Client) record(repo string, d digest.Digest) {
	c.hints.Record(c.host, d, repo)
}

// KnownRepositories lists other repositories of this registry recorded as
// holding the blob d, most recent first: candidates for a cross-repository
// mount (empty without a hints store).
func (c *Client) KnownRepositories(d digest.Digest) []string {
	return c.hints.Repos(c.host, d)
}

// ForgetRepository drops the hint that repo holds d (a mount from it failed).
func (c *Client) ForgetRepository(d digest.Digest, repo string) {
	c.hints.Forget(c.host, d, repo)
}
