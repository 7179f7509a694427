package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
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
	// skopeo 1.9 takes it and never contacts the registry; kept so scripts work.
	fs.BoolVar(&o.tlsVerify, "tls-verify", true, "accepted for compatibility; logout does not contact the registry")
	return cmd
}

func (a *app) runLogout(cmd *cobra.Command, o *logoutOptions, args []string) error {
	store, err := o.file.store(cmd, a.global.log())
	if err != nil {
		return err
	}
	if named := o.file.named(); named != "" {
		if _, err := os.Stat(named); err != nil {
			return fmt.Errorf("%w: checking the auth file: %v", errdefs.ErrInvalidArgument, err)
		}
	}
	ctx, cancel := a.global.context(cmd.Context())
	defer cancel()
	if o.all {
		if err := store.RemoveAll(ctx); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "Removed login credentials for all registries")
		return nil
	}
	key, _, err := auth.ParseKey(args[0])
	if err != nil {
		return err
	}
	err = store.Remove(ctx, key)
	if errors.Is(err, errdefs.ErrNotFound) {
		// Not a missing image: exit 1, as skopeo's.
		a.global.log().Debug("no login to remove", "key", key, "file", store.File())
		return fmt.Errorf("not logged into %s", key)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Removed login credentials for %s\n", key)
	return nil
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
