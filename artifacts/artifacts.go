// Package artifacts copies what travels with an image: the artifacts
// attached to it in its repository, found by tag as cosign and the OCI
// 1.1 referrers tag schema keep them (sha256-HEX.sig, .att, .sbom, and
// sha256-HEX, an index of the manifests whose subject is the image), or,
// in an oci: layout, as index.json entries (see transport/layout).
// Each is copied with its digest kept, and what is attached to it in turn
// (a signature on an SBOM) comes along too.
//
// Attached artifacts are copied without a policy check of their own:
// they come with an image the policy accepted, and their consumers (cosign
// verify, a policy's sigstoreSigned) judge them. A referrers index at the
// destination is merged with the source's, never replaced (a destination
// that finds referrers by their subject, an oci: layout, gets none), and an
// existing .sig tag at the destination is left to the signature path
// (which merges signatures), so nothing there is lost.
package artifacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxArtifacts bounds one image's attached artifacts, so a cycle or a
// hostile repository cannot make a copy run forever.
const maxArtifacts = 1000

// Options are the copy options every artifact copy starts from (the
// image copy's: sides, concurrency, retries, logger, progress); Policy,
// Signers and signature handling are replaced.
type Options struct {
	Copy copier.Options
	// ArtifactTypes, when set, keeps only referrers of these artifact
	// types. cosign's tags carry no artifact type: .sig counts as
	// application/vnd.dev.cosign.simplesigning.v1+json; .att and .sbom are
	// kept only when ArtifactTypes is empty.
	ArtifactTypes []string
}

// Copied is one artifact copied: the name it was written as (a tag, or
// the digest of a referrer).
type Copied struct {
	Name   string
	Digest digest.Digest
}

// Copy copies the artifacts attached to subject at src to dst, and those
// attached to them, and returns what it copied.
func Copy(ctx context.Context, src, dst transport.Reference, subject digest.Digest, o Options) ([]Copied, error) {
	srcL, ok := src.(transport.AttachedLister)
	if !ok {
		return nil, fmt.Errorf("%w: %s keeps no attached artifacts (referrers are copied from registries and oci: layouts)", errdefs.ErrNotSupported, transport.FullName(src))
	}
	dstL, ok := dst.(transport.AttachedLister)
	if !ok {
		return nil, fmt.Errorf("%w: %s cannot take attached artifacts (referrers are copied to registries and oci: layouts)", errdefs.ErrNotSupported, transport.FullName(dst))
	}
	c := &copying{src: srcL, dst: dstL, o: o, seen: map[digest.Digest]bool{}}
	queue := []digest.Digest{subject}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if c.seen[s] {
			continue
		}
		c.seen[s] = true
		next, err := c.copyAttached(ctx, s)
		if err != nil {
			return c.done, err
		}
		queue = append(queue, next...)
		if len(c.done) > maxArtifacts {
			return c.done, fmt.Errorf("%w: more than %d attached artifacts", errdefs.ErrInvalidArgument, maxArtifacts)
		}
	}
	return c.done, nil
}

type copying struct {
	src, dst transport.AttachedLister
	o        Options
	seen     map[digest.Digest]bool
	done     []Copied
}

// copyAttached copies what is attached to s and returns the digests of
// the artifacts copied, whose own attachments come next.
func (c *copying) copyAttached(ctx context.Context, s digest.Digest) ([]digest.Digest, error) {
	list, err := c.src.ListAttached(ctx, &c.o.Copy.Source, s)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	have, err := c.dst.ListAttached(ctx, &c.o.Copy.Destination, s)
	if err != nil {
		return nil, err
	}
	var next []digest.Digest
	for _, a := range list {
		if isReferrersIndex(a) {
			copied, err := c.copyReferrers(ctx, a, have)
			if err != nil {
				return nil, err
			}
			next = append(next, copied...)
			continue
		}
		if !c.wantTag(a.Tag) {
			continue
		}
		if strings.HasSuffix(a.Tag, ".sig") && slices.ContainsFunc(have, func(h transport.Attached) bool { return h.Tag == a.Tag }) {
			c.log().Debug("the destination has signatures for the image already; the signature path merges them", "tag", a.Tag)
			continue
		}
		if err := c.copyOne(ctx, a.Tag, ""); err != nil {
			return nil, err
		}
		c.done = append(c.done, Copied{Name: a.Tag, Digest: a.Descriptor.Digest})
		next = append(next, a.Descriptor.Digest)
	}
	return next, nil
}

func (c *copying) log() *slog.Logger {
	if c.o.Copy.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.o.Copy.Logger
}

// wantTag applies ArtifactTypes to cosign's tags: .sig stands for its
// signature type; .att and .sbom are kept only without a filter.
func (c *copying) wantTag(tag string) bool {
	if len(c.o.ArtifactTypes) == 0 {
		return true
	}
	return strings.HasSuffix(tag, ".sig") && slices.Contains(c.o.ArtifactTypes, "application/vnd.dev.cosign.simplesigning.v1+json")
}

// copyReferrers copies each referrer of a referrers index by digest, then
// writes the destination's index: its own entries and the source's.
func (c *copying) copyReferrers(ctx context.Context, a transport.Attached, have []transport.Attached) ([]digest.Digest, error) {
	var merged []ocispec.Descriptor
	for _, h := range have {
		if h.Tag == a.Tag {
			merged = append(merged, h.Referrers...)
		}
	}
	before := len(merged)
	var next []digest.Digest
	for _, r := range a.Referrers {
		if len(c.o.ArtifactTypes) > 0 && !slices.Contains(c.o.ArtifactTypes, r.ArtifactType) {
			continue
		}
		if !slices.ContainsFunc(merged, func(m ocispec.Descriptor) bool { return m.Digest == r.Digest }) {
			if err := c.copyOne(ctx, "", r.Digest); err != nil {
				return nil, err
			}
			merged = append(merged, r)
			c.done = append(c.done, Copied{Name: r.Digest.String(), Digest: r.Digest})
		}
		next = append(next, r.Digest)
	}
	if len(merged) == before {
		return next, nil
	}
	if si, ok := c.dst.(transport.SubjectIndexer); ok {
		indexes, err := si.IndexesSubjects(ctx, &c.o.Copy.Destination)
		if err != nil {
			return nil, err
		}
		if indexes {
			return next, nil
		}
	}
	return next, c.putIndex(ctx, a.Tag, merged)
}

// copyOne copies the artifact named tag (or by digest d) from the
// source's repository to the destination's, unchanged.
func (c *copying) copyOne(ctx context.Context, tag string, d digest.Digest) error {
	from, err := c.src.Sibling(tag, d)
	if err != nil {
		return err
	}
	to, err := c.dst.Sibling(tag, d)
	if err != nil {
		return err
	}
	o := c.o.Copy
	o.MultiArch, o.PreserveDigests, o.RemoveSignatures = copier.All, true, true
	o.Policy, o.Signers, o.SkipExisting = nil, nil, true
	o.Format, o.Compression = "", ""
	if _, err := copier.Copy(ctx, from, to, o); err != nil {
		return fmt.Errorf("copying attached artifact %s: %w", transport.FullName(from), err)
	}
	return nil
}

// putIndex writes the referrers index tag at the destination.
func (c *copying) putIndex(ctx context.Context, tag string, entries []ocispec.Descriptor) error {
	b, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries})
	if err != nil {
		return err
	}
	ref, err := c.dst.Sibling(tag, "")
	if err != nil {
		return err
	}
	dst, err := ref.NewDestination(ctx, &c.o.Copy.Destination)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := dst.PutManifest(ctx, b, ocispec.MediaTypeImageIndex, nil); err != nil {
		return fmt.Errorf("writing the referrers index %s: %w", transport.FullName(ref), err)
	}
	if err := dst.Commit(ctx); err != nil {
		return errors.Join(fmt.Errorf("writing the referrers index %s", transport.FullName(ref)), err)
	}
	return nil
}
