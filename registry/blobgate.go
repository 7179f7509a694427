package registry

import (
	"context"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
)

// blobGate is what a session knows, in this process, of the blobs its
// repositories hold, and which of them a request is settling right now.
// Concurrent copies into one repository (sync copies several tags of a
// repository at once, and they share layers) then ask about, mount or
// upload each blob once: the others wait for that answer instead of
// repeating it. Besides saving requests, this keeps ferry from rewriting
// a blob link that another copy's manifest is being checked against;
// distribution's filesystem storage rewrites the link in place, and a
// manifest PUT that reads it in that window is refused (DIGEST_INVALID).
type blobGate struct {
	mu   sync.Mutex
	held map[blobSite]bool
	busy map[blobSite]chan struct{}
}

// blobSite is a blob in one repository.
type blobSite struct {
	repo string
	d    digest.Digest
}

// enter waits until no other request is settling site. It reports true
// when the repository is known to hold the blob (nothing left to do);
// otherwise the caller owns site until it calls leave, telling whether
// the repository now holds the blob.
func (g *blobGate) enter(ctx context.Context, site blobSite) (held bool, leave func(held bool), err error) {
	for {
		g.mu.Lock()
		if g.held[site] {
			g.mu.Unlock()
			return true, nil, nil
		}
		wait, ok := g.busy[site]
		if !ok {
			ch := make(chan struct{})
			if g.busy == nil {
				g.busy, g.held = map[blobSite]chan struct{}{}, map[blobSite]bool{}
			}
			g.busy[site] = ch
			g.mu.Unlock()
			return false, func(held bool) {
				g.mu.Lock()
				if held {
					g.held[site] = true
				}
				delete(g.busy, site)
				g.mu.Unlock()
				close(ch)
			}, nil
		}
		g.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, nil, ctx.Err()
		}
	}
}

// forget drops what the gate knows of site (the blob was deleted).
func (g *blobGate) forget(site blobSite) {
	g.mu.Lock()
	delete(g.held, site)
	g.mu.Unlock()
}

// gated runs settle for the blob d in repo unless the session already
// knows the repository holds it, with no other request for that blob
// and repository under way meanwhile; settle reports whether the
// repository holds the blob afterwards.
func (c *Client) gated(ctx context.Context, repo string, d digest.Digest, settle func() (bool, error)) (bool, error) {
	held, leave, err := c.blobs.enter(ctx, blobSite{repo, d})
	if err != nil || held {
		return held, err
	}
	ok, err := settle()
	leave(ok && err == nil)
	return ok, err
}

// drainKnown consumes r when an upload turns out to be unneeded, so the
// caller sees the whole blob read (and verified) as if it was sent.
func drainKnown(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
