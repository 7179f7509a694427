package dockerarchive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// destination writes a `docker save`-compatible tar as a stream, member
// after member in PutBlob order: config as HEX.json, layers as
// blobs/ALG/HEX with the compression they arrived in (docker load, podman
// load and skopeo detect it), then manifest.json and repositories at
// Commit. Nothing is buffered: a layer goes from the reader to the tar.
type destination struct {
	archive.Sink
	tags   []reference.Named
	plain  bool // Config.Uncompressed
	noZstd bool // WithoutZstd
	tmpDir string

	mu      sync.Mutex
	written map[digest.Digest]string // blob digest -> member
	item    *manifestItem
}

var (
	_ transport.Destination          = (*destination)(nil)
	_ transport.StreamingDestination = (*destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	var tags []reference.Named
	if r.Named != nil {
		tags = append(tags, r.Named)
	}
	cfg := r.config()
	extra, err := ParseAdditionalTags(cfg.AdditionalTags)
	if err != nil {
		return nil, err
	}
	tags = append(tags, extra...)
	if err := checkLoadable(tags); err != nil {
		return nil, err
	}
	var stdout io.Writer
	if o != nil {
		stdout = o.Stdout
	}
	out, err := archive.CreateOutput(r.Path, stdout)
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	d := newTarDestination("docker-archive:"+r.Path, out, tags, o)
	d.plain = cfg.Uncompressed
	return d, nil
}

// NewStreamDestination writes a docker-archive to w as a stream, naming
// the image tags (RepoTags). Commit ends the tar but does not close w.
// The docker-daemon transport feeds POST /images/load with it through a
// pipe.
func NewStreamDestination(name string, w io.Writer, tags []reference.Named, o *transport.Options, opts ...DestinationOption) (transport.Destination, error) {
	all := append([]reference.Named(nil), tags...)
	if err := checkLoadable(all); err != nil {
		return nil, err
	}
	d := newTarDestination(name, archive.NewStreamOutput(w), all, o)
	for _, opt := range opts {
		opt(d)
	}
	return d, nil
}

// DestinationOption tunes NewStreamDestination.
type DestinationOption func(*destination)

// WithoutZstd stores zstd layers decompressed, for consumers that cannot
// read them (Docker Engine before 23, API 1.42). A tar member's size comes
// before its bytes, so such a layer is decompressed to TmpDir first.
func WithoutZstd() DestinationOption { return func(d *destination) { d.noZstd = true } }

// ParseAdditionalTags reads --additional-tag values: NAME[:TAG], no digest.
func ParseAdditionalTags(tags []string) ([]reference.Named, error) {
	var out []reference.Named
	for _, s := range tags {
		n, err := reference.ParseNamed(s, true)
		if err != nil {
			return nil, fmt.Errorf("additional tag: %w", err)
		}
		if reference.Digest(n) != "" {
			return nil, fmt.Errorf("%w: additional tag %q: names in an archive cannot have a digest", errdefs.ErrInvalidReference, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func newTarDestination(name string, out *archive.Output, tags []reference.Named, o *transport.Options) *destination {
	d := &destination{Sink: archive.NewSink(name, out), tags: tags, written: map[digest.Digest]string{}}
	// Blobs a killed copy already wrote into the partial archive.
	for _, r := range out.Resumed() {
		if r.Digest != "" {
			d.written[r.Digest] = r.Name
		}
	}
	if o != nil {
		d.tmpDir = o.TmpDir
	}
	return d
}

// Capabilities: one image, blobs one at a time, Docker or OCI manifests
// (the archive keeps neither: KeepsDigests is false).
func (d *destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{
		ManifestTypes:     []string{manifest.MediaTypeDockerManifest, manifest.MediaTypeOCIManifest},
		NoIndex:           true,
		SerialBlobs:       true,
		WantsUncompressed: d.plain,
	}
}

// HasBlob reports blobs already in this archive (a layer used twice).
func (d *destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.written[desc.Digest]
	return ok, nil
}

// member is where a blob goes: a config as HEX.json, as docker save
// names it (the image ID); anything else under blobs/, as Docker 25 does.
func member(desc ocispec.Descriptor) (string, error) {
	if err := desc.Digest.Validate(); err != nil {
		return "", fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, desc.Digest, err)
	}
	if desc.MediaType == manifest.MediaTypeDockerConfig || desc.MediaType == manifest.MediaTypeOCIConfig {
		return desc.Digest.Encoded() + ".json", nil
	}
	return "blobs/" + desc.Digest.Algorithm().String() + "/" + desc.Digest.Encoded(), nil
}

// PutBlob appends a blob to the tar. If r fails (a digest mismatch found
// at its end), the archive is broken and Commit will fail.
func (d *destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	if _, ok := d.written[desc.Digest]; ok {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	if desc.Size < 0 {
		return fmt.Errorf("%w: %s: blob %s has no size", errdefs.ErrInvalidArgument, d.Name, desc.Digest)
	}
	if d.noZstd && desc.MediaType == manifest.MediaTypeOCILayerZst {
		return d.putDecompressed(ctx, desc, r)
	}
	name, err := member(desc)
	if err != nil {
		return err
	}
	if err := d.WriteBlob(ctx, name, desc.Size, r, desc.Digest); err != nil {
		return err
	}
	d.written[desc.Digest] = name
	return nil
}

// putDecompressed stores a zstd layer decompressed (WithoutZstd), under
// its diff ID, and records it under its own digest for PutManifest. r is
// read to its end, so that a digest mismatch it reports there is not
// missed.
func (d *destination) putDecompressed(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	plain, err := archive.NewReader(r, archive.Zstd)
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", d.Name, desc.Digest, err)
	}
	t, size, diffID, err := archive.SpoolDigest(ctx, plain, d.tmpDir)
	plain.Close()
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		if t != nil {
			t.Close()
		}
		return fmt.Errorf("%s: blob %s: %w", d.Name, desc.Digest, err)
	}
	defer t.Close()
	name, _ := member(ocispec.Descriptor{Digest: diffID})
	if err := d.WriteBlob(ctx, name, size, t, desc.Digest); err != nil {
		return err
	}
	d.written[desc.Digest] = name
	return nil
}

// PutBlobStream stores a blob whose size and digest are known only at its
// end (a layer the copier decompresses for ArchiveUncompressed). A tar
// member's size comes before its bytes, so the blob is spooled to TmpDir
// first, hashed on the way.
func (d *destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return ocispec.Descriptor{}, err
	}
	t, size, dg, err := archive.SpoolDigest(ctx, r, d.tmpDir)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	defer t.Close()
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: dg, Size: size}
	if _, ok := d.written[desc.Digest]; ok {
		return desc, nil
	}
	name, err := member(desc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := d.WriteBlob(ctx, name, size, t, desc.Digest); err != nil {
		return ocispec.Descriptor{}, err
	}
	d.written[desc.Digest] = name
	return desc, nil
}

// PutManifest records the image for manifest.json. The archive holds one
// image and no manifest bytes, so an index or an instance is refused.
func (d *destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	mt := manifest.Normalize(mediaType)
	if mt == "" {
		mt = manifest.Detect(b)
	}
	if instance != nil || manifest.IsIndex(mt) {
		return fmt.Errorf("%w: %s: a docker-archive holds a single image, not a list; choose one platform", errdefs.ErrNotSupported, d.Name)
	}
	if !manifest.IsImage(mt) {
		return fmt.Errorf("%w: %s: manifest type %q (want Docker schema 2 or OCI)", errdefs.ErrNotSupported, d.Name, mt)
	}
	m, err := manifest.ParseImage(b)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	item := &manifestItem{RepoTags: []string{}}
	var ok bool
	if item.Config, ok = d.written[m.Config.Digest]; !ok {
		return fmt.Errorf("%w: %s: config %s was not written before the manifest", errdefs.ErrInvalidArgument, d.Name, m.Config.Digest)
	}
	for _, l := range m.Layers {
		p, ok := d.written[l.Digest]
		if !ok {
			return fmt.Errorf("%w: %s: layer %s was not written before the manifest", errdefs.ErrInvalidArgument, d.Name, l.Digest)
		}
		item.Layers = append(item.Layers, p)
	}
	seen := map[string]bool{}
	for _, n := range d.tags {
		if t := reference.Familiar(n); !seen[t] {
			seen[t] = true
			item.RepoTags = append(item.RepoTags, t)
		}
	}
	d.item = item
	return nil
}

// repositories is the legacy names file: repository -> tag -> image. Only
// loaders of archives without manifest.json (Docker before 1.10) read it.
func (d *destination) repositories() ([]byte, error) {
	repos := map[string]map[string]string{}
	id := strings.TrimSuffix(d.item.Config, ".json")
	for _, n := range d.tags {
		repo := reference.Familiar(reference.TrimNamed(n))
		if repos[repo] == nil {
			repos[repo] = map[string]string{}
		}
		repos[repo][reference.Tag(n)] = id
	}
	return json.Marshal(repos)
}

// Commit writes manifest.json and repositories, ends the tar and, for a
// file, renames it into place.
func (d *destination) Commit(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	if d.item == nil {
		return fmt.Errorf("%w: %s: commit before the manifest was written", errdefs.ErrInvalidArgument, d.Name)
	}
	err := d.finish()
	if err != nil {
		d.Err = fmt.Errorf("%s: %w", d.Name, err)
		return d.Err
	}
	d.Done = true
	return nil
}

func (d *destination) finish() error {
	mb, err := json.Marshal([]manifestItem{*d.item})
	if err != nil {
		return err
	}
	if err := d.TW.WriteBytes(manifestFile, mb); err != nil {
		return err
	}
	if len(d.tags) > 0 {
		rb, err := d.repositories()
		if err != nil {
			return err
		}
		if err := d.TW.WriteBytes(repositoriesFile, rb); err != nil {
			return err
		}
	}
	if err := d.TW.Close(); err != nil {
		return err
	}
	return d.Out.Commit()
}

// Close discards an archive that was not committed: a file output's
// temporary file is removed.
func (d *destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Discard()
}
