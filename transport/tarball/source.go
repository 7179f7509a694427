package tarball

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// source is an image assembled in memory from layer files, as skopeo's
// tarball transport does: each file is a layer (plain tar, gzip or zstd,
// kept as it is), and ferry writes an OCI config (platform from Options or
// the host, the layers' diff IDs) and an OCI manifest. Each file is read
// once at NewSource to learn its digest and diff ID; blobs are then served
// from the files. Stdin ("-") is spooled to TmpDir, since it is read twice.
type source struct {
	layers   []layerFile
	config   []byte
	cfgDesc  ocispec.Descriptor
	manifest []byte
}

type layerFile struct {
	path string
	temp *archive.Temp // stdin's spool, nil for a file
	desc ocispec.Descriptor
}

var _ transport.Source = (*source)(nil)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	s := &source{}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	var stdin io.Reader
	var tmp string
	var override manifest.Platform
	if o != nil {
		stdin, tmp, override = o.Stdin, o.TmpDir, o.Platform
	}
	stdins := 0
	for _, p := range r.Files {
		if p == "-" {
			stdins++
		}
	}
	if stdins > 1 {
		return nil, fmt.Errorf("%w: tarball: stdin (-) can be given only once", errdefs.ErrInvalidReference)
	}
	if stdins == 1 && stdin == nil {
		// The library never reads the process's own stdin: the caller
		// passes it (the CLI always does).
		return nil, fmt.Errorf("%w: tarball:-: no standard input was given (transport.Options.Stdin)", errdefs.ErrInvalidArgument)
	}
	var diffIDs []digest.Digest
	var mtimes []time.Time
	for _, p := range r.Files {
		l := layerFile{path: p}
		if p == "-" {
			t, _, err := archive.Spool(ctx, stdin, tmp)
			if err != nil {
				return nil, fmt.Errorf("tarball:-: %w", err)
			}
			l.temp = t
		}
		s.layers = append(s.layers, l)
		ll := &s.layers[len(s.layers)-1]
		rc, mtime, err := ll.open()
		if err != nil {
			return nil, fmt.Errorf("tarball:%s: %w", p, err)
		}
		desc, diffID, err := describeLayer(ctx, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("tarball:%s: %w", p, err)
		}
		ll.desc = desc
		diffIDs = append(diffIDs, diffID)
		mtimes = append(mtimes, mtime)
	}
	if err := s.assemble(diffIDs, mtimes, manifest.HostPlatform(override)); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// open returns the layer's bytes and the file's modification time.
func (l *layerFile) open() (io.ReadCloser, time.Time, error) {
	if l.temp != nil {
		fi, err := l.temp.Stat()
		if err != nil {
			return nil, time.Time{}, err
		}
		return io.NopCloser(io.NewSectionReader(l.temp, 0, fi.Size())), time.Time{}, nil
	}
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("layer file %w", errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, time.Time{}, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, time.Time{}, fmt.Errorf("%w: not a regular file", errdefs.ErrInvalidArgument)
	}
	return f, fi.ModTime(), nil
}

// describeLayer reads a layer once: its digest as stored, its diff ID
// (the digest of the uncompressed tar) and its compression. It checks that
// the content is a tar, so a wrong file is caught here and not by the
// runtime that unpacks it.
func describeLayer(ctx context.Context, r io.Reader) (ocispec.Descriptor, digest.Digest, error) {
	stored := digest.SHA256.Digester()
	counter := &countWriter{}
	br, head, err := archive.Peek(io.TeeReader(archive.ContextReader(ctx, r), io.MultiWriter(stored.Hash(), counter)), archive.MagicLen)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	c := archive.Detect(head)
	var mt string
	switch c {
	case archive.None:
		mt = manifest.MediaTypeOCILayer
	case archive.Gzip:
		mt = manifest.MediaTypeOCILayerGz
	case archive.Zstd:
		mt = manifest.MediaTypeOCILayerZst
	default:
		return ocispec.Descriptor{}, "", fmt.Errorf("%w: the layer is %s-compressed; layers may be plain, gzip or zstd", errdefs.ErrNotSupported, c)
	}
	plain, err := archive.NewReader(br, c)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	defer plain.Close()
	diff := digest.SHA256.Digester()
	tee := io.TeeReader(plain, diff.Hash())
	tr := tar.NewReader(tee)
	entries := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ocispec.Descriptor{}, "", fmt.Errorf("%w: not a tar layer: %v", errdefs.ErrInvalidArchive, err)
		}
		entries++
	}
	if entries == 0 {
		return ocispec.Descriptor{}, "", fmt.Errorf("%w: not a tar layer (no entries)", errdefs.ErrInvalidArchive)
	}
	// The tar may be padded past its end marker; the diff ID covers it all,
	// and so does the stored digest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("%w: %v", errdefs.ErrInvalidArchive, err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	return ocispec.Descriptor{MediaType: mt, Digest: stored.Digest(), Size: counter.n}, diff.Digest(), nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// assemble writes the config and manifest. Each layer's history entry
// carries its file's modification time and the image the newest one (none
// for stdin), so the same files give the same image; the config is the one
// skopeo writes for them, so the image ID matches skopeo's.
func (s *source) assemble(diffIDs []digest.Digest, mtimes []time.Time, p manifest.Platform) error {
	cfg := ocispec.Image{
		Platform: ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
	}
	for i, d := range diffIDs {
		h := ocispec.History{CreatedBy: "/bin/sh -c #(nop) ADD file:" + d.Encoded() + " in /", Comment: "imported from tarball"}
		if t := mtimes[i].UTC(); !mtimes[i].IsZero() {
			h.Created = &t
			if cfg.Created == nil || t.After(*cfg.Created) {
				cfg.Created = &t
			}
		}
		cfg.History = append(cfg.History, h)
	}
	var err error
	if s.config, err = json.Marshal(cfg); err != nil {
		return err
	}
	s.cfgDesc = ocispec.Descriptor{MediaType: manifest.MediaTypeOCIConfig, Digest: digest.FromBytes(s.config), Size: int64(len(s.config))}
	// No mediaType member, as skopeo's tarball: source writes it (the
	// type travels beside the bytes), so both assemble the same digest.
	m := ocispec.Manifest{Config: s.cfgDesc}
	m.SchemaVersion = 2
	for _, l := range s.layers {
		m.Layers = append(m.Layers, l.desc)
	}
	s.manifest, err = json.Marshal(m)
	return err
}

// Manifest returns the OCI manifest ferry assembled.
func (s *source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	if instance != nil && *instance != digest.FromBytes(s.manifest) {
		return nil, "", fmt.Errorf("tarball: manifest %s: %w", *instance, errdefs.ErrNotFound)
	}
	return s.manifest, manifest.MediaTypeOCIManifest, nil
}

// Blob serves the config from memory and a layer from its file.
func (s *source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if d.Digest == s.cfgDesc.Digest {
		return io.NopCloser(bytes.NewReader(s.config)), nil
	}
	for i := range s.layers {
		if s.layers[i].desc.Digest == d.Digest {
			rc, _, err := s.layers[i].open()
			if err != nil {
				return nil, fmt.Errorf("tarball:%s: %w", s.layers[i].path, err)
			}
			return rc, nil
		}
	}
	return nil, fmt.Errorf("tarball: blob %s: %w", d.Digest, errdefs.ErrNotFound)
}

// Close removes stdin's spool.
func (s *source) Close() error {
	var first error
	for _, l := range s.layers {
		if l.temp != nil {
			if err := l.temp.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
