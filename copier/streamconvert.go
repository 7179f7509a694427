package copier

import (
	"context"
	"io"

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
	out, err := c.recompressInto(ctx, sd, ev, in, vr, newType, want)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	done := d // the event that started this transfer named d
	if d.Digest == "" {
		done = out
	}
	c.report(progress.Event{Kind: progress.Done, Descriptor: done, Bytes: out.Size})
	out.MediaType = newType
	return out, nil
}
