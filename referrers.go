package ferry

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Referrer is an artifact attached to an image: a signature, an SBOM or
// an attestation, kept as cosign's digest tag (sha256-HEX.sig, .att,
// .sbom) or as an OCI 1.1 referrer. Its JSON encoding is what the CLI's
// inspect --referrers prints.
type Referrer = artifacts.Listed

// WithReferrers makes a copy (or, through SyncOptions.Referrers, a sync)
// also copy the artifacts attached to the image, recursively (a signature
// on an SBOM comes too), between registries and oci: layouts; with
// artifactTypes, only referrers of those artifact types. The image keeps
// its digests, since the artifacts name it by digest.
func WithReferrers(artifactTypes ...string) Option {
	return callOption("WithReferrers", func(s *settings) error {
		s.referrers, s.artifactTypes = true, artifactTypes
		return nil
	})
}

// copyReferrers copies what is attached to the image a copy wrote
// (subject, its manifest man) and, for an index, to each instance.
func (s *settings) copyReferrers(ctx context.Context, src, dst transport.Reference, o copier.Options, subject digest.Digest, man []byte) error {
	o.Progress = nil // the artifacts are small; the image's progress has ended
	done, err := artifacts.CopyImage(ctx, src, dst, subject, man, artifacts.Options{Copy: o, ArtifactTypes: s.artifactTypes})
	if err != nil {
		return fmt.Errorf("copying the attached artifacts: %w", err)
	}
	if s.logger != nil {
		s.logger.Info("copied the attached artifacts", "count", len(done))
	}
	return nil
}

// Referrers lists the artifacts attached to the image name points to
// (registries and oci: layouts keep them; other transports give an error
// matching ErrUnsupported).
func (c *Client) Referrers(ctx context.Context, name string, opts ...Option) ([]Referrer, error) {
	var list []Referrer
	err := c.withImage(ctx, name, opts, func(im *openImage) error {
		return im.s.withRetry(ctx, func() (err error) {
			list, err = artifacts.List(ctx, im.ref, &im.topts, im.img.Digest)
			return err
		})
	})
	return list, err
}

// Referrers lists the artifacts attached to an image with a client made
// for this one call; see Client.Referrers.
func Referrers(ctx context.Context, name string, opts ...Option) ([]Referrer, error) {
	return oneShot(opts, func(c *Client) ([]Referrer, error) { return c.Referrers(ctx, name) })
}
