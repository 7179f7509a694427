package cli

import "github.com/spf13/cobra"

type deleteOptions struct {
	shared  sharedImageFlags
	image   *imageFlags
	retry   retryFlags
	tagOnly bool
}

func (a *app) deleteCommand() *cobra.Command {
	var o deleteOptions
	cmd := &cobra.Command{
		Use:   "delete [command options] IMAGE-NAME",
		Short: "Delete image IMAGE-NAME",
		Long: `Mark IMAGE-NAME for deletion by the registry's garbage collector.

A registry deletes manifests, not tags (distribution spec, "Deleting
Manifests"): deleting docker://HOST/REPO:TAG resolves the tag to its manifest
and deletes that manifest, which removes every tag in the repository that
points to it. Many registries refuse deletion, or allow it only when
configured to.

--tag-only (a ferry extension) removes just the one tag, leaving the manifest
and its other tags, on registries that support deleting a tag (OCI
distribution spec 1.1); others refuse it with an error.

` + deleteTransportsHelp(),
		Example: `  ferry delete docker://registry.example.com/example/pause:latest
  ferry delete docker://registry.example.com/app@sha256:4c5d...
  ferry delete --tag-only docker://registry.example.com/app:old`,
		Args: exactArgs(1, "IMAGE-NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runDelete(cmd, &o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.tagOnly, "tag-only", false, "remove only this tag, not the manifest it points to (registries supporting OCI distribution 1.1 tag deletion)")
	o.shared.register(fs)
	o.image = registerImageFlags(fs, "", imageFlagSet{daemonHost: true, sharedBlobDir: true})
	o.retry.register(fs)
	return cmd
}

func (a *app) runDelete(cmd *cobra.Command, o *deleteOptions, name string) error {
	img, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	if o.tagOnly {
		return client.Untag(ctx, name, img.ferryOptions(o.retry)...)
	}
	return client.Delete(ctx, name, img.ferryOptions(o.retry)...)
}
