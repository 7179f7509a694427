package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/spf13/cobra"
)

// logoutOptions are skopeo logout's flags.
type logoutOptions struct {
	file      authFileFlags
	all       bool
	tlsVerify bool
}

func (a *app) logoutCommand() *cobra.Command {
	var o logoutOptions
	cmd := &cobra.Command{
		Use:   "logout [command options] REGISTRY",
		Short: "Logout of a container registry",
		Long: `Remove the credentials stored for REGISTRY (a host, or the namespace or
repository a login was for) from the auth file login writes, and from the
credential helper that keeps them. --all removes every login of the file.`,
		Example: `  ferry logout registry.internal:5000
  ferry logout --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.all {
				if len(args) > 0 {
					return usagef(cmd.CommandPath(), "--all takes no arguments")
				}
				return nil
			}
			return loginArgs("logout from", "logout accepts only one registry to logout from")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLogout(cmd, &o, args)
		},
	}
	fs := cmd.Flags()
	o.file.register(fs)
	fs.BoolVarP(&o.all, "all", "a", false, "remove the credentials of all registries in the auth file")
	fs.BoolVar(&o.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when checking credentials stored by another tool")
	return cmd
}

func (a *app) runLogout(cmd *cobra.Command, o *logoutOptions, args []string) error {
	file, err := o.file.options(cmd, a.global.log())
	if err != nil {
		return err
	}
	if named := o.file.named(); named != "" {
		if _, err := os.Stat(named); err != nil {
			return fmt.Errorf("%w: checking the auth file: %v", errdefs.ErrInvalidArgument, err)
		}
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	if o.all {
		if err := client.LogoutAll(ctx, file...); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "Removed login credentials for all registries")
		return nil
	}
	key, _, err := ferry.LoginRegistry(args[0])
	if err != nil {
		return err
	}
	err = client.Logout(ctx, key, file...)
	if errors.Is(err, errdefs.ErrNotFound) {
		if o.file.named() == "" && a.loggedInElsewhere(ctx, client, o, key) {
			fmt.Fprintf(a.stdout, "Not logged into %s with current tool. Existing credentials were established via docker login. Please use docker logout instead.\n", key)
			return nil
		}
		// Not a missing image: exit 1, as skopeo's.
		return fmt.Errorf("not logged into %s", key)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Removed login credentials for %s\n", key)
	return nil
}

// loggedInElsewhere reports whether credentials for key that another
// file of the lookup chain holds (Docker's config.json, say) are
// accepted by the registry: skopeo then points at the tool that wrote
// them rather than fail. It is asked only when no file was named.
func (a *app) loggedInElsewhere(ctx context.Context, client *ferry.Client, o *logoutOptions, key string) bool {
	c, err := client.StoredLogin(ctx, key)
	if err != nil || c.Username == "" || c.Password == "" {
		return false
	}
	if file, err := client.LoginFile(); err != nil || c.From == file {
		return false
	}
	a.global.log().Debug("credentials for the registry come from another file", "key", key, "from", c.From)
	return client.CheckLogin(ctx, key, c.Username, c.Password, a.loginCheck(o.tlsVerify, "")...) == nil
}

// named is the auth file the user named: --authfile, --compat-auth-file,
// $REGISTRY_AUTH_FILE, or $DOCKER_CONFIG/config.json when $DOCKER_CONFIG
// is set (skopeo's login takes that as its --authfile). "" leaves the
// choice to auth.DefaultAuthFile.
func (f *authFileFlags) named() string {
	switch {
	case f.authFile != "":
		return f.authFile
	case f.compatAuthFile != "":
		return f.compatAuthFile
	case os.Getenv("REGISTRY_AUTH_FILE") != "":
		return os.Getenv("REGISTRY_AUTH_FILE")
	case os.Getenv("DOCKER_CONFIG") != "":
		return filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")
	}
	return ""
}
