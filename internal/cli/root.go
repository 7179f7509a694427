package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// rootCommand builds the command tree. Global options live on the root as
// persistent flags, so both `ferry --debug inspect` (skopeo's order) and
// `ferry inspect --debug` work.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry [global options] COMMAND [command options]",
		Short: "Move container images between registries, directories and archives",
		Long: `ferry copies, inspects and deletes container images without a daemon.
It takes skopeo's commands, flags and image names (TRANSPORT:DETAILS):

  ` + strings.Join(transportExamples, "\n  ") + `

Exit status: 0 on success, 2 when the image or tag does not exist, 1 on any
other error (one line on standard error, "ferry: ...").`,
		Example: `  ferry inspect docker://docker.io/library/alpine:3.20
  ferry copy docker://nginx:1.27 docker-archive:nginx.tar:nginx:1.27
  ferry --override-arch arm64 inspect --config docker://alpine`,
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.global.validate(cmd)
		},
	}
	root.SetVersionTemplate(a.versionLine())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{command: c.CommandPath(), err: err}
	})
	a.global.register(root.PersistentFlags())
	root.AddCommand(
		a.cacheCommand(),
		a.completionCommand(),
		a.copyCommand(),
		a.deleteCommand(),
		a.generateSigstoreKeyCommand(),
		a.inspectCommand(),
		a.listTagsCommand(),
		a.loginCommand(),
		a.logoutCommand(),
		a.manifestDigestCommand(),
		a.standaloneSignCommand(),
		a.standaloneVerifyCommand(),
		a.serveCommand(),
		a.syncCommand(),
		a.untrustedSignatureDumpCommand(),
	)
	for _, c := range root.Commands() {
		c.DisableFlagsInUseLine = true // Use already says "[command options]", as skopeo's does
	}
	addExamples(root)
	return root
}

// transportExamples is the list of image name forms shown in --help.
var transportExamples = []string{
	"docker://HOST/REPO[:TAG|@DIGEST]   an image in a registry",
	"oci:PATH[:REF]                     an image in an OCI layout directory",
	"oci-archive:PATH[:REF]             an OCI layout in a tar file",
	"docker-archive:PATH[:NAME:TAG]     a `docker save` tar file",
	"dir:PATH                           a directory of manifest and blobs",
	"docker-daemon:NAME:TAG             an image in the Docker Engine",
	"containers-storage:NAME:TAG        an image in podman's storage",
	"tarball:FILE                       layer tarballs (source only)",
}

// exactArgs is cobra.ExactArgs with skopeo's wording and a usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		what := map[int]string{1: "one argument", 2: "two arguments"}[n]
		if what == "" {
			what = fmt.Sprintf("%d arguments", n)
		}
		return usagef(cmd.CommandPath(), "exactly %s expected (%s), got %d", what, names, len(args))
	}
}
