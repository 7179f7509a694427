package copier

import (
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// convertingStream is a transport.StreamSource that builds the manifest
// it returns from the descriptors put returned (docker-archive synthesizes
// its manifest), so a layer may be stored in another compression as it
// passes. Sources whose manifests are stored byte for byte do not have it.
type convertingStream interface {
	transport.StreamSource
	TakesConvertedBlobs()
}

// convertStreamed stores a layer met by a stream source in the
// compression the destination wants (a registry gets an uncompressed
// `docker save` layer gzipped, as skopeo does), as it passes: after a
// stream the source cannot serve it again. The bytes are verified against
// d.Digest when the source knows it; the descriptor returned is what was
// stored, with its media type.
func (c *job) convertStreamed(ctx context.Context, sd transport.StreamingDestination, d ocispec.Descriptor, r io.Reader, want string) (ocispec.Descriptor, error) {
	family := manifest.MediaTypeOCIManifest
	if d.MediaType == manifest.MediaTypeDockerLayerPlain || d.MediaType == manifest.MediaTypeDockerLayer {
		family = manifest.MediaTypeDockerManifest
	}
	newType, err := layerMediaType(family, want)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	in := r
	var vr *verify.Reader
	if d.Digest != "" {
		if vr, err = verify.NewReader(r, d.Digest, d.Size); err != nil {
			return ocispec.Descriptor{}, err
		}
		in = vr
	}
	ev := progress.Event{Descriptor: d}
	c.report(with(ev, progress.Started, 0))
	plain, err := decompressor(&progressReader{r: in, c: c, ev: ev}, layerCompression(d.MediaType))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	defer plain.Close()
	checked := &endCheck{r: plain, check: func() error {
		if vr == nil {
			return nil
		}
		if _, err := io.Copy(io.Discard, vr); err != nil && !vr.Verified() {
			return err
		}
		if !vr.Verified() {
			return fmt.Errorf("%w: blob %s has data after its compressed stream", errdefs.ErrInvalidArchive, d.Digest)
		}
		return nil
	}}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(compress(pw, checked, want, c.o.CompressionLevel)) }()
	out, err := sd.PutBlobStream(ctx, newType, pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the compressor if the destination stopped early
	if err != nil {
		c.report(progress.Event{Kind: progress.Failed, Descriptor: d, Err: err})
		return ocispec.Descriptor{}, fmt.Errorf("recompressing blob %s: %w", d.Digest, err)
	}
	done := d // the event that started this transfer named d
	if d.Digest == "" {
		done = out
	}
	c.report(progress.Event{Kind: progress.Done, Descriptor: done, Bytes: out.Size})
	out.MediaType = newType
	return out, nil
}
