package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/storage"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// source reads an image from the store. The store keeps each layer
// unpacked (with the tar-split metadata that rebuilds its tar exactly),
// not the compressed blob it came from, so, as skopeo does, the source
// serves layers uncompressed under their diff IDs: the manifest it
// returns is the stored one with each compressed layer replaced by the
// uncompressed tar's descriptor. An image whose manifest already names
// uncompressed layers (what buildah and podman build commit) is served
// byte for byte as stored.
type source struct {
	name string
	st   *sharedStore
	img  *cstorage.Image
	log  *slog.Logger

	once     sync.Once
	top      []byte
	topType  string
	rewrote  bool
	layers   map[digest.Digest]string // diff ID -> layer ID
	topError error
}

var (
	_ transport.Source          = (*source)(nil)
	_ transport.SignatureSource = (*source)(nil)
)

func newSource(ctx context.Context, r *storage.Reference, o *transport.Options) (transport.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := openStore(r.Store, o.Log())
	if err != nil {
		return nil, err
	}
	img, err := resolve(st, r)
	if err != nil {
		st.release()
		return nil, err
	}
	return &source{name: "containers-storage:" + r.String(), st: st, img: img, log: o.Log()}, nil
}

// Manifest returns the image's manifest, rewritten to name uncompressed
// layers where the stored one names compressed ones. An instance of an
// index the image was pulled from is served as stored.
func (s *source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	if instance != nil {
		b, err := s.st.ImageBigData(s.img.ID, manifestKey(*instance))
		if err != nil {
			return nil, "", fmt.Errorf("%w: %s: no manifest %s stored with the image", errdefs.ErrNotFound, s.name, *instance)
		}
		return b, manifest.Detect(b), nil
	}
	s.once.Do(func() { s.topError = s.loadTop() })
	if s.topError != nil {
		return nil, "", s.topError
	}
	return s.top, s.topType, nil
}

// loadTop reads the stored manifest and the layer chain, and rewrites
// the manifest's layer descriptors to the layers' uncompressed form.
func (s *source) loadTop() error {
	stored, err := s.st.ImageBigData(s.img.ID, cstorage.ImageDigestBigDataKey)
	if err != nil {
		return fmt.Errorf("%s: the image has no stored manifest: %w", s.name, err)
	}
	mt := manifest.Detect(stored)
	if !manifest.IsImage(mt) {
		return fmt.Errorf("%w: %s: stored manifest of type %q is not supported", errdefs.ErrNotSupported, s.name, mt)
	}
	m, err := manifest.ParseImage(stored)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	chain, err := s.chain()
	if err != nil {
		return err
	}
	if len(chain) != len(m.Layers) {
		return fmt.Errorf("%w: %s: the manifest names %d layers, the store holds %d", errdefs.ErrInvalidManifest, s.name, len(m.Layers), len(chain))
	}
	s.layers = map[digest.Digest]string{}
	plain := manifest.MediaTypeOCILayer
	if mt == manifest.MediaTypeDockerManifest {
		plain = manifest.MediaTypeDockerLayerPlain
	}
	for i, l := range chain {
		s.layers[l.UncompressedDigest] = l.ID
		if m.Layers[i].Digest == l.UncompressedDigest {
			continue
		}
		s.rewrote = true
		d := &m.Layers[i]
		d.MediaType, d.Digest, d.Size = plain, l.UncompressedDigest, l.UncompressedSize
	}
	s.top, s.topType = stored, mt
	if !s.rewrote {
		return nil
	}
	if mt == manifest.MediaTypeDockerManifest {
		s.top, err = manifest.MarshalDocker(m)
	} else {
		s.top, err = json.Marshal(m)
	}
	return err
}

// chain lists the image's layers, bottom first.
func (s *source) chain() ([]*cstorage.Layer, error) {
	var out []*cstorage.Layer
	for id := s.img.TopLayer; id != ""; {
		l, err := s.st.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("%s: reading layer %s: %w", s.name, id, err)
		}
		if l.UncompressedDigest == "" || l.UncompressedSize < 0 {
			return nil, fmt.Errorf("%w: %s: layer %s has no recorded uncompressed digest (a partial pull): ferry cannot export it",
				errdefs.ErrNotSupported, s.name, id)
		}
		out = append([]*cstorage.Layer{l}, out...)
		id = l.Parent
	}
	return out, nil
}

// Blob serves the config (stored with the image under its digest) or a
// layer, rebuilt uncompressed from the store as it streams.
func (s *source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: blob %q: %v", errdefs.ErrInvalidArgument, s.name, d.Digest, err)
	}
	if _, _, err := s.Manifest(ctx, nil); err != nil {
		return nil, err
	}
	if id, ok := s.layers[d.Digest]; ok {
		plain := archive.Uncompressed
		rc, err := s.st.Diff("", id, &cstorage.DiffOptions{Compression: &plain})
		if err != nil {
			return nil, fmt.Errorf("%s: reading layer %s: %w", s.name, id, err)
		}
		return rc, nil
	}
	b, err := s.st.ImageBigData(s.img.ID, d.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: blob %s", errdefs.ErrNotFound, s.name, d.Digest)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Signatures returns the signatures stored with the image. They sign the
// stored manifest: when the source serves a rewritten one, they do not
// apply to it and are not handed on (a warning says so), since a
// signature beside a manifest it does not sign is worth nothing.
func (s *source) Signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error) {
	if _, _, err := s.Manifest(ctx, nil); err != nil {
		return nil, err
	}
	sigs, err := readSignatures(s.st, s.img, instance)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if len(sigs) > 0 && instance == nil && s.rewrote {
		s.log.Warn("containers-storage: the image's signatures sign its manifest as pulled, which names compressed layers the store does not keep: they are not copied",
			"image", s.name, "signatures", len(sigs))
		return nil, nil
	}
	return sigs, nil
}

// Close releases the store.
func (s *source) Close() error {
	s.st.release()
	return nil
}
