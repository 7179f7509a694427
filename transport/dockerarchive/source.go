package dockerarchive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"regexp"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// source reads one image of a docker-archive. A plain tar file is indexed
// in place and its members served by offset; a stream (stdin, a compressed
// archive, the Engine's export) is spooled to a temporary file the first
// time Manifest or Blob needs it, unless it was read with Stream.
type source struct {
	name   string
	in     *archive.Input
	named  reference.Named
	index  int
	tmpDir string // where Stream spools a member it cannot place yet
	log    *slog.Logger

	mu  sync.Mutex
	img *image
}

// streamSource is a source that can also be read once, front to back
// (transport.StreamSource). Only sources that are not already indexed
// files are streamSources, so that the copier keeps its parallel path for
// files.
type streamSource struct{ *source }

var (
	_ transport.Source       = (*source)(nil)
	_ transport.StreamSource = streamSource{}
)

// image is the chosen image: the manifest ferry synthesized for it and
// where its blobs are.
type image struct {
	manifest  []byte
	mediaType string
	digest    digest.Digest
	config    ocispec.Descriptor
	configRaw []byte
	layers    []ocispec.Descriptor
	// paths maps a layer digest to its member; nil after Stream.
	paths map[digest.Digest]string
	// comps is the compression of each layer's member: a compressed
	// one is served decompressed.
	comps map[digest.Digest]archive.Compression
	// plain holds the layers served uncompressed, though the manifest
	// calls them gzip.
	plain map[digest.Digest]bool
	// small holds the layers a Stream kept in memory, by digest, so
	// they can still be served after it.
	small map[digest.Digest][]byte
}

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	var stdin io.Reader
	var tmp string
	if o != nil {
		stdin, tmp = o.Stdin, o.TmpDir
	}
	in, err := archive.OpenInput(ctx, r.Path, stdin, tmp)
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	return wrap(&source{name: "docker-archive:" + r.Path, in: in, named: r.Named, index: r.Index, tmpDir: tmp, log: o.Log()}), nil
}

// NewStreamSource reads the only image of a docker-save tar stream that
// open returns (called at most once), as the docker-daemon transport gets
// it from the Engine's image export. It is a transport.StreamSource; used
// as a plain Source it spools the stream to o.TmpDir on first use. name
// is used in errors.
func NewStreamSource(name string, open func(ctx context.Context) (io.ReadCloser, error), o *transport.Options) transport.Source {
	tmp := ""
	if o != nil {
		tmp = o.TmpDir
	}
	return streamSource{&source{name: name, in: archive.NewStreamInput(name, open, tmp), index: -1, tmpDir: tmp, log: o.Log()}}
}

func wrap(s *source) transport.Source {
	if s.in.Indexed() {
		return s
	}
	return streamSource{s}
}

// load indexes the archive (spooling a stream) and picks the image.
func (s *source) load(ctx context.Context) (*image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.img != nil {
		return s.img, nil
	}
	if !s.in.Indexed() {
		s.log.Debug("spooling the archive to a temporary file for random access", "archive", s.name)
	}
	a, err := s.in.Archive(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	img, err := s.loadIndexed(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	s.img = img
	return img, nil
}

var configName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([a-f0-9]{64})\.json$`) })

// checkConfigName compares a config's digest with the one its member
// name states (HEX.json, as docker save, skopeo and ferry write it, or
// blobs/sha256/HEX).
func checkConfigName(p string, cfg []byte) error {
	got := digest.FromBytes(cfg)
	want := pathDigest(p)
	if m := configName().FindStringSubmatch(path.Base(p)); m != nil {
		want = digest.NewDigestFromEncoded(digest.SHA256, m[1])
	}
	if want != "" && want.Algorithm() == digest.SHA256 && want != got {
		return fmt.Errorf("%w: config %s has digest %s", errdefs.ErrDigestMismatch, printable(p), got)
	}
	return nil
}

func (s *source) loadIndexed(ctx context.Context, a *archive.Archive) (*image, error) {
	mb, err := a.ReadFile(manifestFile, archive.MaxMetadata)
	if err != nil {
		return nil, fmt.Errorf("%w (not a docker save archive?)", err)
	}
	items, err := parseManifestFile(mb)
	if err != nil {
		return nil, err
	}
	item, err := pick(items, s.named, s.index)
	if err != nil {
		return nil, err
	}
	cfg, err := a.ReadFile(item.Config, archive.MaxMetadata)
	if err != nil {
		return nil, err
	}
	diffIDs, err := checkConfig(item, cfg)
	if err != nil {
		return nil, err
	}
	layers := make([]layerInfo, len(item.Layers))
	paths := map[digest.Digest]string{}
	comps := map[digest.Digest]archive.Compression{}
	for i, lp := range item.Layers {
		l, c, err := indexLayer(ctx, a, lp, diffIDs[i])
		if err != nil {
			return nil, err
		}
		layers[i] = l
		if _, ok := paths[l.Digest]; !ok {
			paths[l.Digest], comps[l.Digest] = lp, c
		}
	}
	img, err := newImage(cfg, layers)
	if err != nil {
		return nil, err
	}
	img.paths, img.comps = paths, comps
	return img, nil
}

// indexLayer describes the layer at member lp, whose content must have
// the given diff ID, as skopeo does: by its diff ID and uncompressed size.
// An uncompressed member (what docker save writes) costs no read: the
// copier checks its bytes against the diff ID as they pass. A compressed
// one takes a pass to learn its size, which checks its diff ID too.
func indexLayer(ctx context.Context, a *archive.Archive, lp string, diffID digest.Digest) (layerInfo, archive.Compression, error) {
	sr, err := a.Open(lp)
	if err != nil {
		return layerInfo{}, archive.None, err
	}
	head := make([]byte, archive.MagicLen)
	n, _ := sr.ReadAt(head, 0)
	c := archive.Detect(head[:n])
	if c == archive.None {
		if pd := pathDigest(lp); pd != "" && pd != diffID {
			return layerInfo{}, c, fmt.Errorf("%w: layer %s is named %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, printable(lp), pd, diffID)
		}
		return layerInfo{Digest: diffID, Size: sr.Size()}, c, nil
	}
	zr, err := archive.NewReader(archive.ContextReader(ctx, io.NewSectionReader(sr, 0, sr.Size())), c)
	if err != nil {
		return layerInfo{}, c, fmt.Errorf("layer %s: %w", printable(lp), err)
	}
	defer zr.Close()
	h := digest.SHA256.Digester()
	size, err := io.Copy(h.Hash(), zr)
	if err != nil {
		return layerInfo{}, c, fmt.Errorf("%w: reading %s: %v", errdefs.ErrInvalidArchive, printable(lp), err)
	}
	if got := h.Digest(); got != diffID {
		return layerInfo{}, c, fmt.Errorf("%w: layer %s decompresses to %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, printable(lp), got, diffID)
	}
	return layerInfo{Digest: diffID, Size: size}, c, nil
}

// checkConfig checks a config against its name and the image's layer
// count, and returns its diff IDs.
func checkConfig(item *manifestItem, cfg []byte) ([]digest.Digest, error) {
	if err := checkConfigName(item.Config, cfg); err != nil {
		return nil, err
	}
	c, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	if len(c.RootFS.DiffIDs) != len(item.Layers) {
		return nil, fmt.Errorf("%w: the config lists %d layers but manifest.json %d", errdefs.ErrInvalidArchive, len(c.RootFS.DiffIDs), len(item.Layers))
	}
	return c.RootFS.DiffIDs, nil
}

func newImage(cfg []byte, layers []layerInfo) (*image, error) {
	mb, mt, err := buildManifest(cfg, layers)
	if err != nil {
		return nil, err
	}
	img := &image{manifest: mb, mediaType: mt, digest: digest.FromBytes(mb), configRaw: cfg, plain: map[digest.Digest]bool{}}
	for _, l := range layers {
		if l.Compression == archive.None {
			img.plain[l.Digest] = true
		}
	}
	m, err := manifest.ParseImage(mb)
	if err != nil {
		return nil, err
	}
	img.config, img.layers = m.Config, m.Layers
	return img, nil
}

// Manifest returns the manifest synthesized for the image (skopeo's; see
// buildManifest): it is the only manifest, so instance must be nil or its
// digest.
func (s *source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	img, err := s.load(ctx)
	if err != nil {
		return nil, "", err
	}
	if instance != nil && *instance != img.digest {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", s.name, *instance, errdefs.ErrNotFound)
	}
	return img.manifest, img.mediaType, nil
}

// Blob serves the config from memory and a layer straight from its place
// in the archive.
func (s *source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	img, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if d.Digest == img.config.Digest {
		return io.NopCloser(bytes.NewReader(img.configRaw)), nil
	}
	if b, ok := img.small[d.Digest]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	if img.paths == nil {
		return nil, fmt.Errorf("%w: %s was read as a stream; blob %s is gone", errdefs.ErrNotSupported, s.name, d.Digest)
	}
	p, ok := img.paths[d.Digest]
	if !ok {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, errdefs.ErrNotFound)
	}
	a, err := s.in.Archive(ctx)
	if err != nil {
		return nil, err
	}
	sr, err := a.Open(p)
	if err != nil {
		return nil, err
	}
	if c := img.comps[d.Digest]; c != archive.None {
		// Served decompressed, as skopeo serves it; the copier checks
		// the content against d.Digest, the diff ID.
		zr, err := archive.NewReader(io.NewSectionReader(sr, 0, sr.Size()), c)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", s.name, printable(p), err)
		}
		return zr, nil
	}
	return io.NopCloser(sr), nil
}

// ServesPlain reports whether the layer d of the synthesized manifest is
// served uncompressed though the manifest calls it gzip, as skopeo's
// does (see buildManifest): the copier compresses it for a destination
// that wants compressed layers.
func (s *source) ServesPlain(d ocispec.Descriptor) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.img != nil && s.img.plain[d.Digest]
}

// Close releases the archive and removes any spool.
func (s *source) Close() error { return s.in.Close() }
