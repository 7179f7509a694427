package ociarchive

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxDepth bounds indexes of indexes, so a cycle is an error.
const maxDepth = 4

// graph walks the manifests below top that the archive holds and calls
// blob once for every config and layer they name. An instance the archive
// lacks is skipped (a layout may hold an index without all its images); a
// missing blob of an image it holds is not. It returns every manifest met.
type graph struct {
	// manifest returns a manifest's bytes (verified), or ok false when
	// the archive does not hold it.
	manifest func(d ocispec.Descriptor) (b []byte, ok bool, err error)
	blob     func(d ocispec.Descriptor) error
	seen     map[digest.Digest]bool
	found    map[digest.Digest][]byte
}

func (g *graph) walk(d ocispec.Descriptor, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: indexes nested deeper than %d", errdefs.ErrInvalidArchive, maxDepth)
	}
	if _, ok := g.found[d.Digest]; ok {
		return nil
	}
	b, ok, err := g.manifest(d)
	if err != nil || !ok {
		if err == nil && depth == 0 {
			err = fmt.Errorf("%w: index.json names manifest %s, which the archive does not hold", errdefs.ErrInvalidArchive, d.Digest)
		}
		return err
	}
	g.found[d.Digest] = b
	mt := manifest.Detect(b)
	switch {
	case manifest.IsIndex(mt):
		ix, err := manifest.ParseIndex(b)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		for _, c := range ix.Manifests {
			if err := g.walk(c, depth+1); err != nil {
				return err
			}
		}
	case manifest.IsImage(mt):
		m, err := manifest.ParseImage(b)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		for _, bd := range manifest.Blobs(m) {
			if g.seen[bd.Digest] {
				continue
			}
			g.seen[bd.Digest] = true
			if err := g.blob(bd); err != nil {
				return err
			}
		}
	}
	return nil
}

func newGraph() *graph {
	return &graph{seen: map[digest.Digest]bool{}, found: map[digest.Digest][]byte{}}
}

// nondistributable layers may be left out of an archive (image-spec
// layer.md "Non-distributable layers").
func nondistributable(mt string) bool {
	return mt == manifest.MediaTypeOCINondistLayer || mt == manifest.MediaTypeOCINondistLayerGz ||
		mt == manifest.MediaTypeDockerForeignLayer || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
}

// Stream implements transport.StreamSource: it reads the archive once,
// handing each large blob to put as it passes (index.json and the
// manifests come last in most archives, so blobs cannot wait for them),
// then returns the picked manifest as stored. Small blobs are kept in
// memory and put at the end, only if the image uses them. In an archive
// of several images, large blobs of the other images are handed to put
// too: a stream gives no way to know.
func (s streamSource) Stream(ctx context.Context, put transport.PutFunc) ([]byte, string, error) {
	if s.in.Indexed() || s.loaded() {
		return s.streamIndexed(ctx, put)
	}
	rc, err := s.in.Stream(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	defer rc.Close()
	w, err := archive.Walk(ctx, rc, func(ctx context.Context, e *archive.Entry, head []byte, r io.Reader) (ocispec.Descriptor, error) {
		dg := memberDigest(e.Name)
		if dg == "" {
			_, err := io.Copy(io.Discard, r)
			return ocispec.Descriptor{}, err
		}
		d := ocispec.Descriptor{MediaType: guessType(head), Digest: dg, Size: e.Size}
		got, err := put(ctx, d, r)
		if err != nil {
			return got, fmt.Errorf("%s: %w", e.Name, err)
		}
		if got.Digest != dg {
			return got, fmt.Errorf("%w: %s has digest %s", errdefs.ErrDigestMismatch, e.Name, got.Digest)
		}
		return got, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.log.Debug("read the archive as a stream", "archive", s.name, "handed over", len(w.Put))
	b, mt, err := s.finishStream(ctx, w, put)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	return b, mt, nil
}

func (s streamSource) loaded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.top != nil
}

// guessType names a blob met in a stream by its first bytes; the real
// media type is in a manifest that comes later.
func guessType(head []byte) string {
	switch archive.Detect(head) {
	case archive.Gzip:
		return manifest.MediaTypeOCILayerGz
	case archive.Zstd:
		return manifest.MediaTypeOCILayerZst
	}
	return manifest.MediaTypeOCILayer
}

func (s streamSource) finishStream(ctx context.Context, w *archive.Walked[ocispec.Descriptor], put transport.PutFunc) ([]byte, string, error) {
	kept := func(name string) ([]byte, bool, error) {
		if _, ok := w.Entries[name]; !ok {
			return nil, false, nil
		}
		b, _, ok, err := w.File(name)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %s is too large for metadata", errdefs.ErrInvalidArchive, name)
		}
		return b, err == nil, err
	}
	layoutRaw, _, err := kept(layoutFile)
	if err != nil {
		return nil, "", err
	}
	indexRaw, haveIndex, err := kept(indexFile)
	if err != nil {
		return nil, "", err
	}
	top, err := s.pickTop(layoutRaw, indexRaw, haveIndex)
	if err != nil {
		return nil, "", err
	}
	g := newGraph()
	g.manifest = func(d ocispec.Descriptor) ([]byte, bool, error) {
		p, err := blobMember(d.Digest)
		if err != nil {
			return nil, false, err
		}
		b, ok, err := kept(p)
		if err != nil || !ok {
			return nil, ok, err
		}
		if err := verify.Bytes(b, d.Digest, -1); err != nil {
			return nil, false, fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		return b, true, nil
	}
	g.blob = func(d ocispec.Descriptor) error {
		p, err := blobMember(d.Digest)
		if err != nil {
			return err
		}
		if _, ok := w.Entries[p]; !ok {
			if nondistributable(d.MediaType) {
				return nil
			}
			return fmt.Errorf("%w: blob %s is missing", errdefs.ErrInvalidArchive, d.Digest)
		}
		b, _, ok, err := w.File(p)
		if err != nil || !ok {
			return err // handed to put while streaming
		}
		got, err := put(ctx, d, bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("blob %s: %w", d.Digest, err)
		}
		if got.Digest != d.Digest {
			return fmt.Errorf("%w: blob %s was stored as %s", errdefs.ErrDigestMismatch, d.Digest, got.Digest)
		}
		return nil
	}
	if err := g.walk(top, 0); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	s.top, s.manifests = &top, g.found
	s.mu.Unlock()
	b := g.found[top.Digest]
	mt := top.MediaType
	if mt == "" {
		mt = manifest.Detect(b)
	}
	return b, mt, nil
}

// streamIndexed serves Stream from an archive already indexed: each blob
// the picked image uses, once.
func (s streamSource) streamIndexed(ctx context.Context, put transport.PutFunc) ([]byte, string, error) {
	a, top, err := s.load(ctx)
	if err != nil {
		return nil, "", err
	}
	if a == nil {
		return nil, "", fmt.Errorf("%w: %s was already read as a stream", errdefs.ErrNotSupported, s.name)
	}
	g := newGraph()
	g.manifest = func(d ocispec.Descriptor) ([]byte, bool, error) {
		b, err := readManifest(a, d.Digest)
		if errdefs.IsNotFound(err) {
			return nil, false, nil
		}
		return b, err == nil, err
	}
	g.blob = func(d ocispec.Descriptor) error {
		rc, err := s.Blob(ctx, d)
		if errdefs.IsNotFound(err) && nondistributable(d.MediaType) {
			return nil
		}
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err := put(ctx, d, rc)
		if err != nil {
			return fmt.Errorf("blob %s: %w", d.Digest, err)
		}
		if got.Digest != d.Digest {
			return fmt.Errorf("%w: blob %s was stored as %s", errdefs.ErrDigestMismatch, d.Digest, got.Digest)
		}
		return nil
	}
	if err := g.walk(top, 0); err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	return s.Manifest(ctx, nil)
}
