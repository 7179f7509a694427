package copier

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// plainLayerSource is a source that serves some layers uncompressed
// whatever its manifest's media types say: docker-archive and
// docker-daemon synthesize the manifest skopeo does, which names each
// layer by its diff ID with the gzip media type, and dir: or oci: keep it
// when such an image is copied there as it is. The copier then treats
// such a layer as what it is: a destination that wants compressed layers
// gets it gzipped, one that keeps layers as they are keeps the manifest.
type plainLayerSource interface {
	ServesPlain(d ocispec.Descriptor) bool
}

// layerCompression is the compression of the bytes the source serves for
// the layer d, "" for a blob that is not a plain layer.
func (c *job) layerCompression(d ocispec.Descriptor) string {
	comp := layerCompression(d.MediaType)
	if ps, ok := c.src.(plainLayerSource); ok && comp != "" && comp != compNone && ps.ServesPlain(d) {
		return compNone
	}
	return comp
}

// maxConfigSize bounds the config read into memory for a conversion.
const maxConfigSize = archive.MaxMetadata

// convertConfigBlob reads the source's Docker config (verified against its
// descriptor), rewrites it as skopeo's OCI config and stores that; the
// descriptor returned names what was stored, still with the Docker config
// media type for manifest.ConvertImage to map.
func (c *job) convertConfigBlob(ctx context.Context, j blobJob) (ocispec.Descriptor, error) {
	d := j.d
	if d.Size > maxConfigSize {
		return ocispec.Descriptor{}, fmt.Errorf("config %s: %d bytes is too large to convert", d.Digest, d.Size)
	}
	rc, err := c.src.Blob(ctx, d)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("reading config %s: %w", d.Digest, err)
	}
	defer rc.Close()
	vr, err := verify.NewReader(rc, d.Digest, d.Size)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(vr, maxConfigSize+1))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("reading config %s: %w", d.Digest, err)
	}
	conv, err := manifest.ConvertConfig(raw)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("converting config %s: %w", d.Digest, err)
	}
	out := ocispec.Descriptor{MediaType: d.MediaType, Digest: digest.FromBytes(conv), Size: int64(len(conv))}
	if has, err := c.dst.HasBlob(ctx, out); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("checking blob %s: %w", out.Digest, err)
	} else if has {
		c.report(progress.Event{Kind: progress.Skipped, Descriptor: out, Instance: j.instance})
		return out, nil
	}
	return out, c.putVerified(ctx, out, j.instance, bytes.NewReader(conv))
}
