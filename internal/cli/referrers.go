package cli

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/transports"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"
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
	fs.BoolVar(&r.on, "referrers", false, "also copy the artifacts attached to the image (signatures, SBOMs, attestations: cosign's sha256-HEX.sig/.att/.sbom tags and OCI referrers), between registries and oci: layouts, digests kept")
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
// copy wrote, the source's own, whose manifest is man) from the source to
// the destination, and, for an index, what is attached to each instance
// (cosign sign --recursive signs each). It parses the names again with the
// copy's own settings, so that it stands beside however the image copy
// itself is run.
func (r *referrersFlags) copyAttached(ctx context.Context, setup copySetup, srcName, dstName string, subject digest.Digest, man []byte) error {
	if !r.on {
		return nil
	}
	src, err := transports.New(setup.src.config).Parse(srcName)
	if err != nil {
		return err
	}
	dst, err := transports.New(setup.dest.config).Parse(dstName)
	if err != nil {
		return err
	}
	opts := setup.opts
	opts.Progress = nil // the image's progress display has stopped
	done, err := artifacts.CopyImage(ctx, src, dst, subject, man, artifacts.Options{Copy: opts, ArtifactTypes: r.types})
	if err != nil {
		return fmt.Errorf("--referrers: %w", err)
	}
	n := len(done)
	if opts.Logger != nil {
		opts.Logger.Info(fmt.Sprintf("copied %d attached artifacts", n))
	}
	return nil
}

// runInspectReferrers is inspect --referrers: the artifacts attached to
// the image, one JSON array (or --format's template over it).
func (a *app) runInspectReferrers(cmd *cobra.Command, o *inspectOptions, name string) error {
	if o.raw || o.config {
		return usagef(cmd.CommandPath(), "--referrers cannot be used with --raw or --config")
	}
	setup, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	ref, err := transports.New(setup.config).Parse(name)
	if err != nil {
		return err
	}
	ctx, cancel := a.global.context(cmd.Context())
	defer cancel()
	topts := setup.opts
	var list []artifacts.Listed
	err = o.retry.do(ctx, topts.Log(), func() error {
		src, err := ref.NewSource(ctx, &topts)
		if err != nil {
			return err
		}
		defer src.Close()
		img, err := inspect.Fetch(ctx, src)
		if err != nil {
			return err
		}
		list, err = artifacts.List(ctx, ref, &topts, img.Digest)
		return err
	})
	if err != nil {
		return err
	}
	return writeFormatted(a.stdout, o.format, list)
}
