package copier

import (
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cacheMinSize: smaller blobs (configs, tiny layers) stream directly; the
// cache's fsyncs would cost more than a resume could save.
const cacheMinSize = 1 << 20

// viaCache tells whether blob d goes through the Fetcher: a source that
// serves byte ranges, a destination that links finished files into place,
// and a blob worth it.
func (c *job) viaCache(d ocispec.Descriptor) (transport.BlobFileDestination, fetch.RangeReader, bool) {
	if c.o.Fetcher == nil || d.Size < cacheMinSize {
		return nil, nil, false
	}
	rr, ok := c.src.(fetch.RangeReader)
	if !ok {
		return nil, nil, false
	}
	fd, ok := c.dst.(transport.BlobFileDestination)
	return fd, rr, ok
}

// openBlob opens d for streaming: over several ranged connections when the
// copy has a Fetcher and the source serves ranges (nothing on disk), else
// the source's own single stream.
func (c *job) openBlob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if rr, ok := c.src.(fetch.RangeReader); ok && c.o.Fetcher != nil && d.Size > 0 {
		return c.o.Fetcher.Stream(ctx, rr, d)
	}
	return c.src.Blob(ctx, d)
}

// reopener returns how to read blob d again from an offset, when the
// source serves ranges (see reopenable); nil otherwise.
func (c *job) reopener(d ocispec.Descriptor) func(context.Context, int64) (io.ReadCloser, error) {
	rr, ok := c.src.(fetch.RangeReader)
	if !ok || c.o.Fetcher == nil || d.Size <= 0 {
		return nil
	}
	return func(ctx context.Context, off int64) (io.ReadCloser, error) {
		return c.o.Fetcher.StreamFrom(ctx, rr, d, off)
	}
}

// copyViaCache downloads d into the Fetcher's cache (several connections,
// resuming an earlier run's partial file, verified there against digest
// and size) and links the finished file into the destination, so each
// byte is fetched, hashed and written once.
func (c *job) copyViaCache(ctx context.Context, j blobJob, rr fetch.RangeReader, fd transport.BlobFileDestination) error {
	d := j.d
	ev := progress.Event{Descriptor: d, Instance: j.instance}
	c.report(with(ev, progress.Started, 0))
	b, err := c.o.Fetcher.Fetch(ctx, rr, d)
	if err != nil {
		c.report(progress.Event{Kind: progress.Failed, Descriptor: d, Instance: j.instance, Err: err})
		return fmt.Errorf("fetching blob %s: %w", d.Digest, err)
	}
	defer b.Close()
	if err := fd.PutBlobFile(ctx, d, b.Name()); err != nil {
		c.report(progress.Event{Kind: progress.Failed, Descriptor: d, Instance: j.instance, Err: err})
		return fmt.Errorf("storing blob %s: %w", d.Digest, err)
	}
	c.report(with(ev, progress.Done, d.Size))
	return nil
}
