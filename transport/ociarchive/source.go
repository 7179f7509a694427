package ociarchive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The members of an OCI image layout (image-spec image-layout.md).
const (
	layoutFile = ocispec.ImageLayoutFile // "oci-layout"
	indexFile  = ocispec.ImageIndexFile  // "index.json"
)

// blobMember is where a blob lives in the archive: blobs/ALG/HEX. The
// digest is validated first so a crafted one cannot name another member.
func blobMember(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return "blobs/" + d.Algorithm().String() + "/" + d.Encoded(), nil
}

// memberDigest is the digest a blobs/ALG/HEX member name states, or "".
func memberDigest(name string) digest.Digest {
	rest, ok := strings.CutPrefix(name, "blobs/")
	if !ok {
		return ""
	}
	alg, enc, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
	if d.Validate() != nil {
		return ""
	}
	return d
}

// source reads an image (or index) from an OCI archive: a plain tar file
// is indexed in place and blobs are served from their offsets; a stream
// (stdin, a compressed archive) is read once by Stream or spooled to
// TmpDir on first use.
type source struct {
	name  string
	in    *archive.Input
	ref   string
	index int
	log   *slog.Logger

	mu  sync.Mutex
	top *ocispec.Descriptor
	// manifests holds every manifest a Stream met; nil otherwise.
	manifests map[digest.Digest][]byte
}

// streamSource adds transport.StreamSource to sources that are not
// indexed files, so the copier keeps its parallel path for files.
type streamSource struct{ *source }

var (
	_ transport.Source       = (*source)(nil)
	_ transport.StreamSource = streamSource{}
)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	var stdin io.Reader
	var tmp string
	if o != nil {
		stdin, tmp = o.Stdin, o.TmpDir
	}
	in, err := archive.OpenInput(ctx, r.Path, stdin, tmp)
	if err != nil {
		return nil, fmt.Errorf("oci-archive:%s: %w", r.Path, err)
	}
	s := &source{name: "oci-archive:" + r.Path, in: in, ref: r.Ref, index: r.Index, log: o.Log()}
	if in.Indexed() {
		return s, nil
	}
	return streamSource{s}, nil
}

// pickTop reads oci-layout and index.json and picks the entry the
// reference names, with the oci: transport's rules.
func (s *source) pickTop(layoutRaw, indexRaw []byte, haveIndex bool) (ocispec.Descriptor, error) {
	if layoutRaw != nil {
		var l ocispec.ImageLayout
		if err := json.Unmarshal(layoutRaw, &l); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("%w: oci-layout: %v", errdefs.ErrInvalidArchive, err)
		}
		if !strings.HasPrefix(l.Version, "1.") {
			return ocispec.Descriptor{}, fmt.Errorf("%w: image layout version %q (ferry reads 1.x)", errdefs.ErrNotSupported, l.Version)
		}
	}
	if !haveIndex {
		return ocispec.Descriptor{}, fmt.Errorf("%w: the archive has no index.json (not an OCI archive?)", errdefs.ErrInvalidArchive)
	}
	ix, err := ocilayout.ParseIndex(indexRaw)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index.json: %w", err)
	}
	return ocilayout.Lookup(ix, s.ref, s.index)
}

// load indexes the archive (spooling a stream) and picks the image.
func (s *source) load(ctx context.Context) (*archive.Archive, ocispec.Descriptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manifests != nil {
		return nil, *s.top, nil
	}
	if !s.in.Indexed() {
		s.log.Debug("spooling the archive to a temporary file for random access", "archive", s.name)
	}
	a, err := s.in.Archive(ctx)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if s.top != nil {
		return a, *s.top, nil
	}
	var layoutRaw, indexRaw []byte
	if _, ok := a.Entries()[layoutFile]; ok {
		if layoutRaw, err = a.ReadFile(layoutFile, archive.MaxMetadata); err != nil {
			return nil, ocispec.Descriptor{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	_, haveIndex := a.Entries()[indexFile]
	if haveIndex {
		if indexRaw, err = a.ReadFile(indexFile, archive.MaxMetadata); err != nil {
			return nil, ocispec.Descriptor{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	top, err := s.pickTop(layoutRaw, indexRaw, haveIndex)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s: %w", s.name, err)
	}
	s.top = &top
	return a, top, nil
}

// readManifest reads a manifest blob from the archive and checks its digest.
func readManifest(a *archive.Archive, d digest.Digest) ([]byte, error) {
	p, err := blobMember(d)
	if err != nil {
		return nil, err
	}
	if _, ok := a.Entries()[p]; !ok {
		return nil, fmt.Errorf("manifest %s: %w", d, errdefs.ErrNotFound)
	}
	b, err := a.ReadFile(p, archive.MaxMetadata)
	if err != nil {
		return nil, err
	}
	if err := verify.Bytes(b, d, -1); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d, err)
	}
	return b, nil
}

// Manifest returns the picked manifest, or an instance by digest, exactly
// as stored.
func (s *source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	a, top, err := s.load(ctx)
	if err != nil {
		return nil, "", err
	}
	want := top.Digest
	if instance != nil {
		want = *instance
	}
	var b []byte
	if a == nil {
		var ok bool
		if b, ok = s.streamedManifest(want); !ok {
			return nil, "", fmt.Errorf("%s: manifest %s: %w", s.name, want, errdefs.ErrNotFound)
		}
	} else if b, err = readManifest(a, want); err != nil {
		if instance == nil && errdefs.IsNotFound(err) {
			err = fmt.Errorf("%w: index.json names manifest %s, which the archive does not hold", errdefs.ErrInvalidArchive, want)
		}
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	mt := manifest.Detect(b)
	if instance == nil && top.MediaType != "" {
		mt = top.MediaType
	}
	return b, mt, nil
}

func (s *source) streamedManifest(d digest.Digest) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.manifests[d]
	return b, ok
}

// Blob serves a blob from its place in the archive.
func (s *source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	a, _, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("%w: %s was read as a stream; blob %s is gone", errdefs.ErrNotSupported, s.name, d.Digest)
	}
	p, err := blobMember(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if _, ok := a.Entries()[p]; !ok {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, errdefs.ErrNotFound)
	}
	sr, err := a.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return io.NopCloser(sr), nil
}

// Close releases the archive and removes any spool.
func (s *source) Close() error { return s.in.Close() }
