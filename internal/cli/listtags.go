package cli

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/spf13/cobra"
)

// tagList is skopeo list-tags' document. Repository is omitted for
// docker-archive, whose "tags" are the image names the archive holds.
type tagList struct {
	Repository string `json:",omitempty"`
	Tags       []string
}

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
digest (docker://localhost:5000/app, not docker://localhost:5000/app:1).`,
		Example: `  ferry list-tags docker://docker.io/library/fedora
  ferry list-tags docker://localhost:5000/app`,
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
	tname, details, _ := strings.Cut(name, ":")
	switch tname {
	case "docker":
	case "docker-archive":
		return fmt.Errorf("%w: list-tags docker-archive: is not supported yet", errdefs.ErrNotSupported)
	default:
		return fmt.Errorf("%w: list-tags %q: only docker:// repositories can be listed", errdefs.ErrNotSupported, reference.Redact(name))
	}
	if !strings.HasPrefix(details, "//") {
		return fmt.Errorf("%w: %q: repository names start with docker://", errdefs.ErrInvalidReference, reference.Redact(name))
	}
	repo, err := reference.ParseRepository(strings.TrimPrefix(details, "//"))
	if err != nil {
		return err
	}
	topts, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	ctx, cancel := a.global.context(cmd.Context())
	defer cancel()
	var tags []string
	if err := o.retry.do(ctx, topts.Log(), func() (err error) {
		tags, err = docker.ListTags(ctx, repo, &topts)
		return err
	}); err != nil {
		return err
	}
	if tags == nil {
		tags = []string{}
	}
	return writeJSON(a.stdout, tagList{Repository: repo.Name(), Tags: tags})
}
