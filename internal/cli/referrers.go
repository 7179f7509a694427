package cli

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/pflag"
)

// referrersFlags are copy's --referrers options (named as regctl names
// them): the artifacts attached to the image (cosign's .sig, .att and
// .sbom tags, OCI referrers) travel with it.
type referrersFlags struct {
	on    bool
	types []string
}

func (r *referrersFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&r.on, "referrers", false, "also copy the artifacts attached to the image (signatures, SBOMs, attestations: cosign's sha256-HEX.sig/.att/.sbom tags and OCI referrers), registry to registry, digests kept")
	fs.StringSliceVar(&r.types, "referrers-artifact-type", nil, "with --referrers, copy only referrers of these artifact `TYPES`")
}

// apply makes the image copy keep its digests: the artifacts name it by
// digest.
func (r *referrersFlags) apply(o *copier.Options) {
	if r.on {
		o.PreserveDigests = true
	}
}

// copyAttached copies what is attached to subject (the digest the image
// copy wrote, the source's own) from src to dst.
func (r *referrersFlags) copyAttached(ctx context.Context, src, dst transport.Reference, subject digest.Digest, opts copier.Options) error {
	if !r.on {
		return nil
	}
	opts.Progress = nil // the image's progress display has stopped
	done, err := artifacts.Copy(ctx, src, dst, subject, artifacts.Options{Copy: opts, ArtifactTypes: r.types})
	if err != nil {
		return fmt.Errorf("--referrers: %w", err)
	}
	opts.Logger.Info(fmt.Sprintf("copied %d attached artifacts", len(done)))
	return nil
}

// printAttached is inspect --referrers: the artifacts attached to the
// image with digest subject, one JSON array (or --format's template over
// it).
func (a *app) printAttached(ctx context.Context, ref transport.Reference, o *transport.Options, subject digest.Digest, format string) error {
	list, err := artifacts.List(ctx, ref, o, subject)
	if err != nil {
		return err
	}
	return writeFormatted(a.stdout, format, list)
}
