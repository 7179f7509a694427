package dockerarchive

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// putResult is what Stream learned of a member it handed to put.
type putResult struct {
	desc ocispec.Descriptor
	comp archive.Compression
}

// Stream implements transport.StreamSource: it reads the archive once,
// handing each layer to put as it passes (manifest.json comes last in
// docker save output, so layers cannot wait for it), then picks the image
// and returns the manifest built from what put returned. Small members
// (metadata, tiny layers) are kept in memory and put at the end, only if
// the image uses them. In an archive of several images, layers of the
// other images are handed to put too: a stream gives no way to know.
func (s streamSource) Stream(ctx context.Context, put transport.PutFunc) ([]byte, string, error) {
	s.mu.Lock()
	loaded := s.img != nil
	s.mu.Unlock()
	if loaded || s.in.Indexed() {
		return s.streamIndexed(ctx, put)
	}
	rc, err := s.in.Stream(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	defer rc.Close()
	w, err := archive.Walk(ctx, rc, func(ctx context.Context, e *archive.Entry, head []byte, r io.Reader) (putResult, error) {
		c := archive.Detect(head)
		d := ocispec.Descriptor{MediaType: layerMediaType(c, c == archive.Zstd), Digest: pathDigest(e.Name), Size: e.Size}
		got, err := put(ctx, d, r)
		if err != nil {
			return putResult{}, fmt.Errorf("%s: %w", e.Name, err)
		}
		if d.Digest != "" && got.Digest != d.Digest {
			return putResult{}, fmt.Errorf("%w: %s has digest %s", errdefs.ErrDigestMismatch, e.Name, got.Digest)
		}
		return putResult{desc: got, comp: c}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.log.Debug("read the archive as a stream", "archive", s.name, "handed over", len(w.Put))
	img, err := s.finishStream(ctx, w, put)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.mu.Lock()
	s.img = img
	s.mu.Unlock()
	return img.manifest, img.mediaType, nil
}

// finishStream picks the image from the walked archive, puts the blobs
// that were kept in memory, and builds the manifest.
func (s streamSource) finishStream(ctx context.Context, w *archive.Walked[putResult], put transport.PutFunc) (*image, error) {
	mb, _, kept, err := w.File(manifestFile)
	if err != nil {
		return nil, fmt.Errorf("%w (not a docker save archive?)", err)
	}
	if !kept {
		return nil, fmt.Errorf("%w: manifest.json is too large", errdefs.ErrInvalidArchive)
	}
	items, err := parseManifestFile(mb)
	if err != nil {
		return nil, err
	}
	item, err := pick(items, s.named, s.index)
	if err != nil {
		return nil, err
	}
	cfg, _, kept, err := w.File(item.Config)
	if err != nil {
		return nil, err
	}
	if !kept {
		return nil, fmt.Errorf("%w: config %s is too large", errdefs.ErrInvalidArchive, item.Config)
	}
	diffIDs, err := checkConfig(item, cfg)
	if err != nil {
		return nil, err
	}
	layers := make([]layerInfo, len(item.Layers))
	small := map[digest.Digest][]byte{}
	for i, lp := range item.Layers {
		b, pr, kept, err := w.File(lp)
		if err != nil {
			return nil, err
		}
		l := layerInfo{Digest: pr.desc.Digest, Size: pr.desc.Size, Compression: pr.comp}
		if kept {
			l = layerInfo{Digest: digest.FromBytes(b), Size: int64(len(b)), Compression: archive.Detect(b)}
			small[l.Digest] = b
		}
		if l.Compression == archive.None && l.Digest != diffIDs[i] {
			return nil, fmt.Errorf("%w: layer %s has digest %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, lp, l.Digest, diffIDs[i])
		}
		if pd := pathDigest(lp); pd != "" && pd != l.Digest {
			return nil, fmt.Errorf("%w: layer %s has digest %s", errdefs.ErrDigestMismatch, lp, l.Digest)
		}
		layers[i] = l
	}
	img, err := newImage(cfg, layers)
	if err != nil {
		return nil, err
	}
	for _, d := range img.layers {
		if b, ok := small[d.Digest]; ok {
			delete(small, d.Digest)
			if err := putBytes(ctx, put, d, b); err != nil {
				return nil, err
			}
		}
	}
	if err := putBytes(ctx, put, img.config, cfg); err != nil {
		return nil, err
	}
	return img, nil
}

func putBytes(ctx context.Context, put transport.PutFunc, d ocispec.Descriptor, b []byte) error {
	got, err := put(ctx, d, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if got.Digest != d.Digest {
		return fmt.Errorf("%w: blob %s was stored as %s", errdefs.ErrDigestMismatch, d.Digest, got.Digest)
	}
	return nil
}

// streamIndexed serves Stream from an archive already indexed: blobs in
// manifest order, each once.
func (s streamSource) streamIndexed(ctx context.Context, put transport.PutFunc) ([]byte, string, error) {
	img, err := s.load(ctx)
	if err != nil {
		return nil, "", err
	}
	if img.paths == nil {
		return nil, "", fmt.Errorf("%w: %s was already read as a stream", errdefs.ErrNotSupported, s.name)
	}
	done := map[digest.Digest]bool{}
	for _, d := range manifest.Blobs(&manifest.Image{Config: img.config, Layers: img.layers}) {
		if done[d.Digest] {
			continue
		}
		done[d.Digest] = true
		rc, err := s.Blob(ctx, d)
		if err != nil {
			return nil, "", err
		}
		got, err := put(ctx, d, rc)
		rc.Close()
		if err != nil {
			return nil, "", fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
		}
		if got.Digest != d.Digest {
			return nil, "", fmt.Errorf("%s: %w: blob %s was stored as %s", s.name, errdefs.ErrDigestMismatch, d.Digest, got.Digest)
		}
	}
	return img.manifest, img.mediaType, nil
}
