package copier

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// blobPool moves blobs with bounded concurrency (the copy's Limiter,
// perhaps shared with other copies), and copies each digest once even when
// several instances of an index share it.
type blobPool struct {
	c   *job
	lim *Limiter

	mu    sync.Mutex
	calls map[blobKey]*blobCall
}

// blobKey names one transfer: a source blob and what it becomes
// (compression "" for as is).
type blobKey struct {
	digest digest.Digest
	comp   string
}

type blobCall struct {
	done chan struct{}
	out  ocispec.Descriptor
	err  error
}

// blobJob is one blob to copy: d as the source has it, comp the compression
// it should get ("" to move it as is), manifestType the manifest it will be
// listed in (it decides the new layer media type), instance the index
// instance it belongs to ("" outside an index), for progress events.
type blobJob struct {
	d            ocispec.Descriptor
	comp         string
	manifestType string
	instance     digest.Digest
	// toOCIConfig: d is a Docker config to store as skopeo's OCI config.
	toOCIConfig bool
}

func newBlobPool(c *job) *blobPool {
	return &blobPool{c: c, lim: c.o.Limiter, calls: map[blobKey]*blobCall{}}
}

// copyAll copies jobs, waits for all of them and returns the descriptor of
// what each became. A destination that wants serial blobs gets them one at
// a time, in the order given.
func (p *blobPool) copyAll(ctx context.Context, jobs []blobJob) ([]ocispec.Descriptor, error) {
	out := make([]ocispec.Descriptor, len(jobs))
	if p.c.caps.SerialBlobs {
		for i, j := range jobs {
			var err error
			if out[i], err = p.copy(ctx, j); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, j := range jobs {
		g.Go(func() (err error) {
			out[i], err = p.copy(gctx, j)
			return err
		})
	}
	return out, g.Wait()
}

// copy copies one blob, or waits for the same transfer already under way.
func (p *blobPool) copy(ctx context.Context, j blobJob) (ocispec.Descriptor, error) {
	key := blobKey{j.d.Digest, j.comp}
	if j.toOCIConfig {
		key.comp = "oci-config"
	}
	p.mu.Lock()
	if call, ok := p.calls[key]; ok {
		p.mu.Unlock()
		select {
		case <-call.done:
			return call.out, call.err
		case <-ctx.Done():
			return ocispec.Descriptor{}, ctx.Err()
		}
	}
	call := &blobCall{done: make(chan struct{})}
	p.calls[key] = call
	p.mu.Unlock()

	if call.err = p.lim.acquire(ctx, j.d.Size); call.err == nil {
		switch {
		case j.toOCIConfig:
			call.out, call.err = p.c.convertConfigBlob(ctx, j)
		case j.comp == "":
			call.out, call.err = j.d, p.c.copyBlob(ctx, j)
		default:
			call.out, call.err = p.c.recompressBlob(ctx, j)
		}
		p.lim.release()
	}
	if call.err != nil {
		// A failed transfer may be tried again by a later attempt.
		p.mu.Lock()
		delete(p.calls, key)
		p.mu.Unlock()
	}
	close(call.done)
	return call.out, call.err
}

// copyBlob moves one blob unless the destination has it or can mount it.
func (c *job) copyBlob(ctx context.Context, j blobJob) error {
	d := j.d
	has, err := c.dst.HasBlob(ctx, d)
	if err != nil {
		return fmt.Errorf("checking blob %s: %w", d.Digest, err)
	}
	if !has {
		if m, ok := c.dst.(transport.BlobMounter); ok {
			if has, err = m.MountBlob(ctx, d, c.srcRef); err != nil {
				return fmt.Errorf("mounting blob %s: %w", d.Digest, err)
			}
		}
	}
	if has {
		c.report(progress.Event{Kind: progress.Skipped, Descriptor: d, Instance: j.instance})
		return nil
	}
	if fd, rr, ok := c.viaCache(d); ok {
		return c.copyViaCache(ctx, j, rr, fd)
	}
	rc, err := c.openBlob(ctx, d)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", d.Digest, err)
	}
	rc = &closeOnce{ReadCloser: rc}
	defer rc.Close()
	var r io.Reader = rc
	if again := c.reopener(d); again != nil {
		r = &reopenable{Reader: rc, again: func(ctx context.Context, off int64) (io.ReadCloser, error) {
			rc.Close() // not read again: its connections and buffers go now
			return again(ctx, off)
		}}
	}
	if err := c.putVerified(ctx, d, j.instance, r); err != nil {
		c.report(progress.Event{Kind: progress.Failed, Descriptor: d, Instance: j.instance, Err: err})
		return err
	}
	return nil
}

// putVerified hands r to the destination through a reader that checks
// digest and size, and makes sure the destination consumed all of it.
func (c *job) putVerified(ctx context.Context, d ocispec.Descriptor, instance digest.Digest, r io.Reader) error {
	if v, ok := c.dst.(verifyingDestination); ok && d.Size > 0 && v.VerifiesBlobs() {
		return c.putChecked(ctx, d, instance, r)
	}
	size := d.Size
	if size <= 0 && d.Digest != digestOfEmpty {
		size = -1 // unknown (schema-1 layers)
	}
	vr, err := verify.NewReader(r, d.Digest, size)
	if err != nil {
		return err
	}
	ev := progress.Event{Descriptor: d, Instance: instance}
	c.report(with(ev, progress.Started, 0))
	if err := c.dst.PutBlob(ctx, d, &progressReader{r: vr, c: c, ev: ev}); err != nil {
		return fmt.Errorf("copying blob %s: %w", d.Digest, err)
	}
	if !vr.Verified() {
		return fmt.Errorf("copying blob %s: the destination stopped reading after %d bytes", d.Digest, vr.Count())
	}
	c.report(with(ev, progress.Done, vr.Count()))
	return nil
}

// verifyingDestination is a destination whose PutBlob itself checks the
// bytes against the descriptor's digest and size, and commits nothing
// otherwise (a registry upload hashes what it sends and commits with
// the digest): the copier then leaves the check to it rather than hash
// every byte twice.
type verifyingDestination interface {
	VerifiesBlobs() bool
}

// putChecked hands r to a verifyingDestination, reporting progress.
func (c *job) putChecked(ctx context.Context, d ocispec.Descriptor, instance digest.Digest, r io.Reader) error {
	ev := progress.Event{Descriptor: d, Instance: instance}
	c.report(with(ev, progress.Started, 0))
	pr := &progressReader{r: r, c: c, ev: ev}
	var body io.Reader = pr
	if ro, ok := r.(*reopenable); ok {
		// Bytes read again after a cut upload were reported already.
		body = &reopenable{Reader: pr, again: func(ctx context.Context, off int64) (io.ReadCloser, error) {
			rc, err := ro.again(ctx, off)
			if err != nil {
				return nil, err
			}
			return &progressReader{r: rc, c: c, ev: ev, at: off, n: pr.n, closer: rc}, nil
		}}
	}
	if err := c.dst.PutBlob(ctx, d, body); err != nil {
		return fmt.Errorf("copying blob %s: %w", d.Digest, err)
	}
	c.report(with(ev, progress.Done, d.Size))
	return nil
}

var digestOfEmpty = digest.FromBytes(nil)

// with returns ev as an event of kind k carrying n bytes.
func with(ev progress.Event, k progress.Kind, n int64) progress.Event {
	ev.Kind, ev.Bytes = k, n
	return ev
}

// progressReader reports bytes as they pass, as Advanced events like ev.
// It reads the blob from at (0 unless read again from an offset) and
// reports only bytes past n, which were reported before.
type progressReader struct {
	r      io.Reader
	c      *job
	ev     progress.Event
	at, n  int64
	closer io.Closer // when it reads a blob opened again
}

func (p *progressReader) Read(b []byte) (int, error) {
	k, err := p.r.Read(b)
	p.at += int64(k)
	if p.at > p.n {
		p.c.report(with(p.ev, progress.Advanced, p.at-max(p.n, p.at-int64(k))))
		p.n = p.at
	}
	return k, err
}

func (p *progressReader) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}

// reopenable is a source blob's reader that can also read the blob again
// from an offset (registry.Reopener): a destination that resumes a cut
// upload that way keeps no copy of the bytes in flight.
type reopenable struct {
	io.Reader
	again func(ctx context.Context, off int64) (io.ReadCloser, error)
}

func (r *reopenable) ReopenAt(ctx context.Context, off int64) (io.ReadCloser, error) {
	return r.again(ctx, off)
}

// closeOnce closes its reader at the first Close only.
type closeOnce struct {
	io.ReadCloser
	once sync.Once
	err  error
}

func (c *closeOnce) Close() error {
	c.once.Do(func() { c.err = c.ReadCloser.Close() })
	return c.err
}
