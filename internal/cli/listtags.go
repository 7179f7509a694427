package cli

import "github.com/spf13/cobra"

type listTagsOptions struct {
	shared sharedImageFlags
	image  *imageFlags
	retry  retryFlags
}

func (a *app) listTagsCommand() *cobra.Command {
	var o listTagsOptions
	cmd := &cobra.Command{
		Use:   "list-tags [command options] SOURCE-IMAGE",
		Short: "List tags in the transport/repository specified by the SOURCE-IMAGE",
		Long: `Print the tags of a repository as JSON, in skopeo's format.

SOURCE-IMAGE is docker://HOST/REPOSITORY, a repository name without a tag or
digest (docker://localhost:5000/app, not docker://localhost:5000/app:1), or
docker-archive:PATH, whose image names are listed (@N for an unnamed image;
the archive may be compressed as a whole).`,
		Example: `  ferry list-tags docker://docker.io/library/fedora
  ferry list-tags docker://localhost:5000/app
  ferry list-tags docker-archive:/tmp/images.tar.xz`,
		Args: exactArgs(1, "SOURCE-IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runListTags(cmd, &o, args[0])
		},
	}
	fs := cmd.Flags()
	o.shared.register(fs)
	o.image = registerImageFlags(fs, "", imageFlagSet{})
	o.retry.register(fs)
	return cmd
}

func (a *app) runListTags(cmd *cobra.Command, o *listTagsOptions, name string) error {
	img, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	tags, err := client.ListTags(ctx, name, img.ferryOptions(o.retry)...)
	if err != nil {
		return err
	}
	return writeJSON(a.stdout, tags)
}
