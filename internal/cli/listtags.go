package cli

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transports"
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
	img, err := a.imageOptions(o.image, o.shared.authFile)
	if err != nil {
		return err
	}
	ref, isRepo, err := parseRepository(img.transports(), name)
	if err != nil {
		return err
	}
	tl, ok := ref.(transport.TagLister)
	if !ok {
		return fmt.Errorf("%w: list-tags %q: the %s transport cannot list tags (those that can: %s)",
			errdefs.ErrNotSupported, reference.Redact(name), ref.Transport().Name(), strings.Join(tagListers(), ", "))
	}
	topts := img.opts
	ctx, cancel := a.global.context(cmd.Context())
	defer cancel()
	var tags []string
	if err := o.retry.do(ctx, topts.Log(), func() (err error) {
		tags, err = tl.ListTags(ctx, &topts)
		return err
	}); err != nil {
		return err
	}
	if tags == nil {
		tags = []string{}
	}
	out := tagList{Tags: tags}
	if n := ref.DockerReference(); isRepo && n != nil {
		out.Repository = reference.TrimNamed(n).Name()
	}
	return writeJSON(a.stdout, out)
}

// parseRepository parses list-tags' argument: a repository for transports
// that name one (transport.RepositoryParser, docker://HOST/REPO), else an
// image reference of the transport (an archive).
func parseRepository(set *transports.Set, name string) (ref transport.Reference, isRepo bool, err error) {
	tname, details, _ := strings.Cut(name, ":")
	rp, ok := set.Get(tname).(transport.RepositoryParser)
	if !ok {
		ref, err = set.Parse(name)
		return ref, false, err
	}
	ref, err = rp.ParseRepository(details)
	return ref, true, err
}

// tagListers names the transports whose repositories list-tags can list.
func tagListers() []string {
	var names []string
	for _, t := range transports.All {
		if _, ok := t.(transport.RepositoryParser); ok {
			names = append(names, t.Name())
		}
	}
	return names
}
