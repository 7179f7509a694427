package fetch

import (
	"context"
	"encoding"
	"fmt"
	"hash"
	"os"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
)

// hashPiece is how much of the file the hasher reads at a time.
const hashPiece = 64 << 10

var hashBufs = sync.Pool{New: func() any { b := make([]byte, hashPiece); return &b }}

// prefixHasher hashes a partial file front to back as its contiguous
// prefix grows. Connections write ranges out of order, so the hash cannot
// ride on the network path; instead each byte is read back once, from the
// page cache, as soon as every byte before it is there. One pass, and the
// state after any prefix can be saved for a resume.
type prefixHasher struct {
	f    *os.File
	size int64
	alg  digest.Algorithm

	mu sync.Mutex // guards h and n while a piece is hashed
	h  hash.Hash
	n  int64

	target atomic.Int64
	kick   chan struct{}
	done   chan struct{}
	err    error // set before done is closed
}

func newPrefixHasher(f *os.File, size int64, alg digest.Algorithm, h hash.Hash, n int64) *prefixHasher {
	p := &prefixHasher{f: f, size: size, alg: alg, h: h, n: n, kick: make(chan struct{}, 1), done: make(chan struct{})}
	p.target.Store(n)
	return p
}

// offer hashes bytes just written at off straight from the writer's
// buffer when they extend the hashed prefix exactly, sparing the read-back
// for the connection at the front (the common case: ranges are handed out
// lowest first). It reports whether it took them. It waits for a piece
// the hasher is reading back (a piece from the page cache) or a
// checkpoint's snapshot: on one connection every byte is then hashed from
// the buffer it arrived in, and nothing is read back.
func (p *prefixHasher) offer(off int64, b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if off != p.n {
		return false
	}
	p.h.Write(b)
	p.n += int64(len(b))
	return true
}

// advance says the first to bytes of the file are complete.
func (p *prefixHasher) advance(to int64) {
	for {
		cur := p.target.Load()
		if to <= cur {
			return
		}
		if p.target.CompareAndSwap(cur, to) {
			break
		}
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// run hashes until the whole file is hashed, or ctx ends. It closes done.
func (p *prefixHasher) run(ctx context.Context) {
	defer close(p.done)
	for {
		for t := p.target.Load(); ; {
			more, err := p.step(t)
			if err != nil {
				p.err = err
				return
			}
			if !more {
				break
			}
			if ctx.Err() != nil {
				return
			}
		}
		if p.hashed() >= p.size {
			return
		}
		select {
		case <-p.kick:
		case <-ctx.Done():
			return
		}
	}
}

// step hashes the next piece below t and reports whether there may be more.
// The piece's buffer is shared by every blob's hasher (one stream never
// reads back, and the read-backs of parallel fetches take turns on the
// CPU), so concurrent fetches do not each hold one.
func (p *prefixHasher) step(t int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := min(hashPiece, t-p.n)
	if k <= 0 {
		return false, nil
	}
	bp := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(bp)
	buf := *bp
	if _, err := p.f.ReadAt(buf[:k], p.n); err != nil {
		return false, fmt.Errorf("reading back %s: %w", p.f.Name(), err)
	}
	p.h.Write(buf[:k])
	p.n += k
	return true, nil
}

func (p *prefixHasher) hashed() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// snapshot returns how many bytes are hashed and the marshalled hash state
// after them (nil when the hash cannot be marshalled).
func (p *prefixHasher) snapshot() (int64, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.h.(encoding.BinaryMarshaler)
	if !ok {
		return 0, nil
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return 0, nil
	}
	return p.n, b
}

// digest is the digest of the bytes hashed so far.
func (p *prefixHasher) digest() digest.Digest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return digest.NewDigest(p.alg, p.h)
}
