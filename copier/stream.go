package copier

import (
	"context"
	"io"

	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maybeStream handles a source that can be read only once (an archive on
// stdin, the Docker Engine's export) when the destination takes blobs in
// any order: every blob goes on as the source meets it, so nothing is
// spooled to disk. Afterwards the normal phases run and find every blob
// already present.
//
// The order of the phases is then different, and honestly so: the
// manifest comes last in such a stream, so blobs reach the destination
// before the plan (and a policy) can look at the image. They stay
// uncommitted: a refusal afterwards closes the destination without Commit,
// which discards them on every transport with a commit step (dir:, oci:,
// archives). The copier streams only when the policy accepts the source
// blindly (no Policy, or an AnyImagePolicy saying so); otherwise the
// source spools the archive to its TmpDir, as skopeo always does, and the
// check comes before the destination is opened.
func (c *job) maybeStream(ctx context.Context) error {
	ss, ok := c.src.(transport.StreamSource)
	if !ok || c.caps.SerialBlobs {
		return nil
	}
	sd, ok := c.dst.(transport.StreamingDestination)
	if !ok {
		return nil
	}
	_, _, err := ss.Stream(ctx, func(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
		if _, ok := ss.(convertingStream); ok {
			if d.MediaType == manifest.MediaTypeDockerConfig {
				// Such a source keeps its config in memory: the plan
				// stores it as it is or converted to OCI's, and an
				// original that is converted leaves no orphan blob.
				return d, nil
			}
			if want := c.wantedCompression(d); want != "" {
				return c.convertStreamed(ctx, sd, d, r, want)
			}
		}
		if d.Digest == "" {
			ev := progress.Event{Descriptor: d}
			c.report(with(ev, progress.Started, 0))
			got, err := sd.PutBlobStream(ctx, d.MediaType, &progressReader{r: r, c: c, ev: ev})
			if err != nil {
				return got, err
			}
			c.report(progress.Event{Kind: progress.Done, Descriptor: got, Bytes: got.Size})
			return got, nil
		}
		if has, err := c.dst.HasBlob(ctx, d); err != nil {
			return d, err
		} else if has {
			c.report(progress.Event{Kind: progress.Skipped, Descriptor: d})
			return d, nil
		}
		return d, c.putVerified(ctx, d, "", r)
	})
	return err
}
