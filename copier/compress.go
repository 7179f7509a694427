package copier

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer compression algorithms.
const (
	compNone = "none"
	compGzip = "gzip"
	compZstd = "zstd"
)

// layerCompression tells a layer media type's compression, or "" for a blob
// that is not a plain layer (foreign layers, artifacts) and is never touched.
func layerCompression(mt string) string {
	switch mt {
	case manifest.MediaTypeOCILayer, manifest.MediaTypeDockerLayerPlain:
		return compNone
	case manifest.MediaTypeOCILayerGz, manifest.MediaTypeDockerLayer:
		return compGzip
	case manifest.MediaTypeOCILayerZst:
		return compZstd
	}
	return ""
}

// layerMediaType names a layer of the given compression in the manifest
// family of manifestType.
func layerMediaType(manifestType, comp string) (string, error) {
	docker := manifestType == manifest.MediaTypeDockerManifest
	switch {
	case comp == compNone && docker:
		return manifest.MediaTypeDockerLayerPlain, nil
	case comp == compNone:
		return manifest.MediaTypeOCILayer, nil
	case comp == compGzip && docker:
		return manifest.MediaTypeDockerLayer, nil
	case comp == compGzip:
		return manifest.MediaTypeOCILayerGz, nil
	case comp == compZstd && docker:
		return "", ErrZstdInDocker
	case comp == compZstd:
		return manifest.MediaTypeOCILayerZst, nil
	}
	return "", fmt.Errorf("%w: compression %q: want gzip, zstd or none", errdefs.ErrInvalidArgument, comp)
}

// wantedCompression is what a layer should become, "" to leave it.
func (c *job) wantedCompression(d ocispec.Descriptor) string {
	have := c.layerCompression(d)
	if have == "" {
		return ""
	}
	want := have
	switch {
	case c.o.Compression != "":
		want = c.o.Compression
	case c.caps.WantsUncompressed:
		want = compNone
	case c.caps.WantsCompressed && have == compNone && c.mayModify():
		want = compGzip // a wish of the destination, dropped when the manifest must stay
	}
	if want == have {
		return ""
	}
	return want
}

// recompressBlob streams a layer from the source through decompression and
// recompression into the destination. The source bytes are verified against
// their digest before the destination may keep anything: the reader the
// compressor sees fails instead of ending when they do not match.
func (c *job) recompressBlob(ctx context.Context, j blobJob) (ocispec.Descriptor, error) {
	d, want, manifestType := j.d, j.comp, j.manifestType
	sd, ok := c.dst.(transport.StreamingDestination)
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("%w: %s cannot take recompressed layers", errdefs.ErrNotSupported, c.dstRef.Transport().Name())
	}
	newType, err := layerMediaType(manifestType, want)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	rc, err := c.src.Blob(ctx, d)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("reading blob %s: %w", d.Digest, err)
	}
	defer rc.Close()
	vr, err := verify.NewReader(rc, d.Digest, d.Size)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	ev := progress.Event{Descriptor: d, Instance: j.instance}
	c.report(with(ev, progress.Started, 0))
	out, err := c.recompressInto(ctx, sd, ev, vr, vr, newType, want)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	c.report(with(ev, progress.Done, vr.Count()))
	out.MediaType = newType
	out.Annotations = d.Annotations
	return out, nil
}

// recompressInto decompresses in (a layer compressed as ev's descriptor
// says), compresses it as want and stores it in sd as newType. vr, when
// not nil, is the verifying reader in reads from: the compressor sees an
// error instead of the end of the layer unless vr verified all of it, so
// the destination never keeps a layer whose source bytes were wrong. A
// failure is reported as ev's; the caller reports the start and the end.
func (c *job) recompressInto(ctx context.Context, sd transport.StreamingDestination, ev progress.Event, in io.Reader, vr *verify.Reader, newType, want string) (ocispec.Descriptor, error) {
	d := ev.Descriptor
	plain, err := decompressor(&progressReader{r: in, c: c, ev: ev}, c.layerCompression(d))
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
		c.report(with(progress.Event{Descriptor: d, Instance: ev.Instance, Err: err}, progress.Failed, 0))
		return ocispec.Descriptor{}, fmt.Errorf("recompressing blob %s: %w", d.Digest, err)
	}
	return out, nil
}

// endCheck returns check's error instead of io.EOF at the end of r.
type endCheck struct {
	r     io.Reader
	check func() error
}

func (e *endCheck) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		if cerr := e.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func decompressor(r io.Reader, comp string) (io.ReadCloser, error) {
	switch comp {
	case compGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", errdefs.ErrInvalidArchive, err)
		}
		zr.Multistream(false)
		return zr, nil
	case compZstd:
		// The window bound keeps a hostile layer from driving memory up.
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(archive.MaxZstdWindow))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(r), nil
}

// compress writes r to w compressed with comp, using every core: pgzip
// compresses blocks in parallel, zstd's encoder runs one goroutine per core.
func compress(w io.Writer, r io.Reader, comp string, level int) error {
	var zw io.WriteCloser
	switch comp {
	case compNone:
		_, err := io.Copy(w, r)
		return err
	case compGzip:
		if level == 0 {
			level = gzip.DefaultCompression
		}
		gw, err := pgzip.NewWriterLevel(w, level)
		if err != nil {
			return fmt.Errorf("%w: gzip level %d", errdefs.ErrInvalidArgument, level)
		}
		if err := gw.SetConcurrency(1<<20, max(2, runtime.GOMAXPROCS(0))); err != nil {
			return err
		}
		zw = gw
	case compZstd:
		lvl := zstd.SpeedDefault
		if level > 0 {
			lvl = zstd.EncoderLevelFromZstd(level)
		}
		enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
		if err != nil {
			return err
		}
		zw = enc
	default:
		return fmt.Errorf("%w: compression %q", errdefs.ErrInvalidArgument, comp)
	}
	if _, err := io.Copy(zw, r); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// validCompression checks an Options.Compression value.
func validCompression(s string) error {
	switch strings.ToLower(s) {
	case "", compNone, compGzip, compZstd:
		return nil
	}
	return fmt.Errorf("%w: compression format %q: want gzip, zstd or none", errdefs.ErrInvalidArgument, s)
}
