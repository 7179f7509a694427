package cli

import (
	"github.com/ferrytool/ferry"
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

// options are the front door's options these flags give a copy.
func (r *referrersFlags) options() []ferry.Option {
	if !r.on {
		return nil
	}
	return []ferry.Option{ferry.WithReferrers(r.types...)}
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
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	list, err := client.Referrers(ctx, name, setup.ferryOptions(o.retry)...)
	if err != nil {
		return err
	}
	return writeFormatted(a.stdout, o.format, list)
}
