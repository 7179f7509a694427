package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Source reads an image from a registry, or from the mirrors
// registries.conf gives it (see mirrors.go). It implements
// transport.Source, and fetch.RangeReader for downloads split across
// connections.
type Source struct {
	ref     *Reference
	name    string       // familiar name, for errors
	srcs    []pullSource // where the image is read from, in order
	log     *slog.Logger
	release func() error // closes a pool made for this source alone
	sigs    sourceSignatures

	mu     sync.Mutex
	chosen int // the index in srcs of the place that served the top manifest
}

var (
	_ transport.Source  = (*Source)(nil)
	_ fetch.RangeReader = (*Source)(nil)
	_ fetch.Endpointer  = (*Source)(nil)
)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	srcs, release, err := openSources(r, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	src := &Source{ref: r, name: reference.Familiar(r.named), srcs: srcs, log: o.Log(), release: release}
	if err := src.sigs.init(r, o); err != nil {
		release()
		return nil, fmt.Errorf("%s: %w", src.name, err)
	}
	return src, nil
}

// tagOrDigest is the manifest reference the name carries.
func tagOrDigest(n reference.Named) string {
	if d := reference.Digest(n); d != "" {
		return d.String()
	}
	return reference.Tag(n)
}

// Manifest implements transport.Source: the manifest the reference names
// (by tag or digest) or an instance of it by digest, verified when fetched
// by digest.
func (s *Source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	ref, name := tagOrDigest(s.ref.named), s.name
	if instance != nil {
		ref = instance.String()
		name = reference.Familiar(reference.TrimNamed(s.ref.named)) + "@" + ref
	}
	from := 0
	if instance != nil {
		from = s.current()
	}
	var (
		b  []byte
		mt string
		dg digest.Digest
	)
	i, err := s.fromSources(ctx, from, "manifest "+ref, func(p *pullSource) (err error) {
		b, mt, dg, err = p.c.GetManifest(ctx, p.repo, ref)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if instance == nil {
		s.choose(i)
		s.sigs.setTop(dg)
	}
	return b, mt, nil
}

// Blob implements transport.Source.
func (s *Source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	var rc io.ReadCloser
	_, err := s.fromSources(ctx, s.current(), "blob "+d.Digest.String(), func(p *pullSource) (err error) {
		rc, err = p.c.GetBlob(ctx, p.repo, d)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
	}
	return rc, nil
}

// ReadRange implements fetch.RangeReader, so a fetch.Fetcher can download
// a large blob over several connections: the bytes [off, off+n) of d,
// n < 0 meaning to the end, and off 0 with n < 0 the whole blob without a
// Range header. A registry that ignores Range returns the whole blob with
// fetch.ErrRangeIgnored.
func (s *Source) ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	if off == 0 && n < 0 {
		return s.Blob(ctx, d)
	}
	if n == 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	end := int64(-1)
	if n > 0 {
		end = off + n - 1
	}
	var (
		rc      io.ReadCloser
		ignored bool
	)
	_, err := s.fromSources(ctx, s.current(), "blob "+d.Digest.String(), func(p *pullSource) (err error) {
		rc, err = p.c.GetBlobRange(ctx, p.repo, d, off, end)
		if errors.Is(err, registry.ErrRangeIgnored) {
			ignored, err = true, nil
		}
		return err
	})
	if ignored {
		return rc, fetch.ErrRangeIgnored
	}
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
	}
	return rc, nil
}

// Endpoint implements fetch.Endpointer: connections to one registry share
// a budget.
func (s *Source) Endpoint(d ocispec.Descriptor) string { return s.srcs[s.current()].c.Host() }

// Close implements transport.Source.
func (s *Source) Close() error {
	s.sigs.close()
	return s.release()
}
