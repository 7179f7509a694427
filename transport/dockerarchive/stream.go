package dockerarchive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// putResult is what Stream learned of a large member: what put stored
// (which may be a recompressed form, when the destination asked for one),
// the digests of the member's own bytes and of its decompressed content,
// or the spool holding a member that was not handed over.
type putResult struct {
	desc      ocispec.Descriptor
	comp      archive.Compression
	raw, diff digest.Digest
	spool     *archive.Temp
}

// legacyLayer is where docker save before Docker 25 puts a layer.
var legacyLayer = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-f0-9]{64}/layer\.tar$`) })

// layerPlace reports whether a member sits where docker save puts layers
// (ID/layer.tar, or blobs/ALG/HEX from Docker 25 on). Only such members
// are handed to put while the stream passes; any other large member is
// spooled until manifest.json says whether the image uses it, so junk
// beside an image never becomes a blob.
func layerPlace(name string) bool {
	return legacyLayer().MatchString(name) || pathDigest(name) != ""
}

// Stream implements transport.StreamSource: it reads the archive once,
// handing each layer to put as it passes (manifest.json comes last in
// docker save output, so layers cannot wait for it), then picks the image,
// checks every layer against the config's diff IDs and returns the
// manifest built from what put returned. Small members (metadata, tiny
// layers) are kept in memory and put at the end, only if the image uses
// them. In an archive of several images, layers of the other images are
// handed to put too: a stream gives no way to know.
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
	var spools []*archive.Temp
	defer func() {
		for _, t := range spools {
			t.Close()
		}
	}()
	w, err := archive.Walk(ctx, rc, func(ctx context.Context, e *archive.Entry, head []byte, r io.Reader) (putResult, error) {
		c := archive.Detect(head)
		if !layerPlace(e.Name) {
			t, n, err := archive.Spool(ctx, r, s.tmpDir)
			if err != nil {
				return putResult{}, fmt.Errorf("%s: %w", printable(e.Name), err)
			}
			spools = append(spools, t)
			return putResult{spool: t, comp: c, desc: ocispec.Descriptor{Size: n}}, nil
		}
		pr, err := putLayer(ctx, put, e.Name, pathDigest(e.Name), e.Size, c, r)
		if err != nil {
			return putResult{}, fmt.Errorf("%s: %w", printable(e.Name), err)
		}
		return pr, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.log.Debug("read the archive as a stream", "archive", s.name, "members", len(w.Put))
	img, err := s.finishStream(ctx, w, put)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.mu.Lock()
	s.img = img
	s.mu.Unlock()
	return img.manifest, img.mediaType, nil
}

// TakesConvertedBlobs tells the copier that put may store a layer in
// another compression: the manifest Stream returns names what put stored.
func (streamSource) TakesConvertedBlobs() {}

// putLayer hands a layer to put, hashing its bytes and its decompressed
// content as they pass. want, when not "", is the digest its name states.
// A compressed member is handed over decompressed, as the source serves
// it (see buildManifest), its digest unknown until it has passed.
func putLayer(ctx context.Context, put transport.PutFunc, name string, want digest.Digest, size int64, c archive.Compression, r io.Reader) (putResult, error) {
	lr := archive.NewLayerReader(r, c)
	defer lr.Close()
	d := ocispec.Descriptor{MediaType: plainMediaType(archive.None), Digest: want, Size: size}
	var in io.Reader = lr
	if c != archive.None {
		zr, err := archive.NewReader(lr, c)
		if err != nil {
			return putResult{}, err
		}
		defer zr.Close()
		in, d.Digest, d.Size = zr, "", -1
	}
	got, err := put(ctx, d, in)
	if err != nil {
		return putResult{}, err
	}
	// put may stop early (a blob the destination has); the hashes need
	// every byte.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return putResult{}, err
	}
	raw, diff, err := lr.Finish()
	if err != nil {
		return putResult{}, err
	}
	if want != "" && raw != want {
		return putResult{}, fmt.Errorf("%w: %s has digest %s", errdefs.ErrDigestMismatch, printable(name), raw)
	}
	return putResult{desc: got, comp: compressionOf(got.MediaType, archive.None), raw: raw, diff: diff}, nil
}

// compressionOf is the compression a stored layer's media type says, or c
// when put did not say.
func compressionOf(mediaType string, c archive.Compression) archive.Compression {
	switch {
	case mediaType == "":
		return c
	case strings.HasSuffix(mediaType, "+zstd") || strings.HasSuffix(mediaType, ".zstd"):
		return archive.Zstd
	case manifest.IsCompressedLayer(mediaType):
		return archive.Gzip
	}
	return archive.None
}

// finishStream picks the image from the walked archive, checks and puts
// the layers that were kept in memory or spooled, puts the config and
// builds the manifest.
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
		return nil, fmt.Errorf("%w: config %s is too large", errdefs.ErrInvalidArchive, printable(item.Config))
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
		// A layer still at hand (kept in memory or spooled) is checked
		// before put sees it; one that streamed past was hashed on its way.
		switch {
		case kept:
			if err = checkHeld(bytes.NewReader(b), archive.Detect(b), lp, diffIDs[i]); err == nil {
				pr, err = putLayer(ctx, put, lp, pathDigest(lp), int64(len(b)), archive.Detect(b), bytes.NewReader(b))
				if archive.Detect(b) == archive.None {
					small[pr.raw] = b
				}
			}
		case pr.spool != nil:
			t, c, size := pr.spool, pr.comp, pr.desc.Size
			if err = rewind(t); err == nil {
				err = checkHeld(t, c, lp, diffIDs[i])
			}
			if err == nil {
				if err = rewind(t); err == nil {
					pr, err = putLayer(ctx, put, lp, pathDigest(lp), size, c, t)
				}
			}
		case pr.raw == "":
			err = fmt.Errorf("%w: it is not a file", errdefs.ErrInvalidArchive)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", printable(lp), err)
		}
		if pr.diff != diffIDs[i] {
			return nil, fmt.Errorf("%w: layer %s has content %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, printable(lp), pr.diff, diffIDs[i])
		}
		layers[i] = layerInfo{Digest: pr.desc.Digest, Size: pr.desc.Size, Compression: pr.comp}
	}
	img, err := newImage(cfg, layers)
	if err != nil {
		return nil, err
	}
	img.small = small
	if err := putBytes(ctx, put, img.config, cfg); err != nil {
		return nil, err
	}
	return img, nil
}

// checkHeld compares the diff ID of a layer held whole with the config's.
func checkHeld(r io.Reader, c archive.Compression, member string, want digest.Digest) error {
	lr := archive.NewLayerReader(r, c)
	defer lr.Close()
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return err
	}
	return checkDiffID(lr, member, want)
}

func rewind(t *archive.Temp) error {
	_, err := t.Seek(0, io.SeekStart)
	return err
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
// manifest order, each once. The manifest returned names the layers as
// put stored them (recompressed, when the destination asked for it).
func (s streamSource) streamIndexed(ctx context.Context, put transport.PutFunc) ([]byte, string, error) {
	img, err := s.load(ctx)
	if err != nil {
		return nil, "", err
	}
	if img.paths == nil {
		return nil, "", fmt.Errorf("%w: %s was already read as a stream", errdefs.ErrNotSupported, s.name)
	}
	stored := map[digest.Digest]ocispec.Descriptor{}
	for _, d := range manifest.Blobs(&manifest.Image{Config: img.config, Layers: img.layers}) {
		if _, done := stored[d.Digest]; done {
			continue
		}
		rc, err := s.Blob(ctx, d)
		if err != nil {
			return nil, "", err
		}
		got, err := put(ctx, d, rc)
		rc.Close()
		if err != nil {
			return nil, "", fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
		}
		if d.Digest == img.config.Digest && got.Digest != d.Digest {
			return nil, "", fmt.Errorf("%s: %w: config %s was stored as %s", s.name, errdefs.ErrDigestMismatch, d.Digest, got.Digest)
		}
		stored[d.Digest] = got
	}
	layers := make([]layerInfo, len(img.layers))
	for i, d := range img.layers {
		got := stored[d.Digest]
		layers[i] = layerInfo{Digest: got.Digest, Size: got.Size, Compression: compressionOf(got.MediaType, archive.None)}
	}
	out, err := newImage(img.configRaw, layers)
	if err != nil {
		return nil, "", err
	}
	return out.manifest, out.mediaType, nil
}
