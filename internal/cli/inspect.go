package cli

import (
	"github.com/ferrytool/ferry"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	shared sharedImageFlags
	image  *imageFlags
	retry  retryFlags
	format string
	raw    bool
	config bool
	noTags bool
	// referrers lists the attached artifacts instead (referrers.go).
	referrers bool
}

func (a *app) inspectCommand() *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [command options] IMAGE-NAME",
		Short: "Inspect image IMAGE-NAME",
		Long: `Print low-level information about IMAGE-NAME as JSON, in skopeo's format.

Digest is the digest of the manifest the name points to (an index's digest
when it points to a multi-platform index); the other fields describe the
image in that index for this machine's platform, or the one --override-os,
--override-arch and --override-variant choose. RepoTags lists the
repository's tags (docker:// only).

` + readTransportsHelp(),
		Example: `  ferry inspect docker://registry.fedoraproject.org/fedora
  ferry inspect --config docker://docker.io/alpine
  ferry inspect --raw docker://docker.io/alpine        # the manifest (or index) as stored
  ferry --override-arch arm64 inspect docker://alpine
  ferry inspect --format "Name: {{.Name}} Digest: {{.Digest}}" docker://registry.access.redhat.com/ubi9`,
		Args: exactArgs(1, "IMAGE-NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.referrers {
				return a.runInspectReferrers(cmd, &o, args[0])
			}
			return a.runInspect(cmd, &o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.raw, "raw", false, "output the raw manifest or configuration")
	fs.BoolVar(&o.config, "config", false, "output the configuration")
	fs.StringVarP(&o.format, "format", "f", "", "format the output with a Go `TEMPLATE`")
	fs.BoolVarP(&o.noTags, "no-tags", "n", false, "do not list the available tags from the repository in the output")
	fs.BoolVar(&o.referrers, "referrers", false, "list the artifacts attached to the image (cosign's .sig/.att/.sbom tags, OCI referrers) as JSON, instead")
	o.shared.register(fs)
	o.image = registerImageFlags(fs, "", imageFlagSet{daemonHost: true, sharedBlobDir: true})
	o.retry.register(fs)
	return cmd
}

func (a *app) runInspect(cmd *cobra.Command, o *inspectOptions, name string) error {
	if o.raw && o.format != "" {
		return usagef(cmd.CommandPath(), "--raw output does not support --format")
	}
	setup, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	opts := setup.ferryOptions(o.retry)
	if o.noTags {
		opts = append(opts, ferry.WithoutRepoTags())
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	switch {
	case o.raw && !o.config:
		m, err := client.Manifest(ctx, name, opts...)
		if err != nil {
			return err
		}
		_, err = a.stdout.Write(m.Raw)
		return err
	case o.config && o.raw:
		b, err := client.RawConfig(ctx, name, opts...)
		if err != nil {
			return err
		}
		_, err = a.stdout.Write(b)
		return err
	case o.config:
		cfg, err := client.Config(ctx, name, opts...)
		if err != nil {
			return err
		}
		return writeFormatted(a.stdout, o.format, cfg)
	}
	out, err := client.Inspect(ctx, name, opts...)
	if err != nil {
		return err
	}
	return writeFormatted(a.stdout, o.format, out)
}
