package copier

import (
	"context"
	"io"

	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maybeStream handles a source that can be read only once (an archive on
// stdin) when the destination takes blobs in any order: every blob goes
// on as the source meets it, so nothing is spooled to disk. Afterwards the
// normal path runs and finds every blob already present.
func (c *job) maybeStream(ctx context.Context) error {
	ss, ok := c.src.(transport.StreamSource)
	if !ok || c.caps.SerialBlobs {
		return nil
	}
	sd, ok := c.dst.(transport.StreamingDestination)
	if !ok {
		return nil
	}
	rep := c.o.Destination.Reporter()
	_, _, err := ss.Stream(ctx, func(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
		if _, ok := ss.(convertingStream); ok {
			if want := c.wantedCompression(d.MediaType); want != "" {
				return c.convertStreamed(ctx, sd, d, r, want)
			}
		}
		if d.Digest == "" {
			rep.Report(progress.Event{Kind: progress.Started, Descriptor: d})
			got, err := sd.PutBlobStream(ctx, d.MediaType, &progressReader{r: r, d: d, rep: rep})
			if err != nil {
				return got, err
			}
			rep.Report(progress.Event{Kind: progress.Done, Descriptor: got, Bytes: got.Size})
			return got, nil
		}
		if has, err := c.dst.HasBlob(ctx, d); err != nil {
			return d, err
		} else if has {
			rep.Report(progress.Event{Kind: progress.Skipped, Descriptor: d})
			return d, nil
		}
		return d, c.putVerified(ctx, d, r)
	})
	return err
}
