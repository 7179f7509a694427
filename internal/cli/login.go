package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// loginOptions are skopeo login's flags.
type loginOptions struct {
	file          authFileFlags
	username      string
	password      string
	passwordStdin bool
	certDir       string
	tlsVerify     bool
	getLogin      bool
	verbose       bool
}

func (a *app) loginCommand() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login [command options] REGISTRY",
		Short: "Login to a container registry",
		Long: `Check a user name and password against REGISTRY and keep them for later
commands, where podman, buildah and skopeo keep them too: --authfile, else
$REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json if set, else
$XDG_RUNTIME_DIR/containers/auth.json (or /run/containers/UID/auth.json).
Nothing is written unless the registry accepts them. A credential helper
named for the registry in that file (credHelpers, or Docker's credsStore)
keeps the secret instead of the file.

REGISTRY is a host (quay.io, localhost:5000), or a namespace or repository in
one (quay.io/team/app, without a tag): its login then applies there only.
Without --username and a password, valid stored credentials are kept
("Already logged in"); otherwise the missing user name and password are asked
for on the terminal, without echo.`,
		Example: `  ferry login -u alice registry.internal:5000
  echo "$TOKEN" | ferry login -u bot --password-stdin ghcr.io
  ferry login --get-login registry.internal:5000`,
		Args: loginArgs("login to", "login accepts only one registry to login to"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLogin(cmd, &o, args[0])
		},
	}
	fs := cmd.Flags()
	o.file.register(fs)
	fs.StringVarP(&o.username, "username", "u", "", "`USERNAME` for the registry")
	fs.StringVarP(&o.password, "password", "p", "", "`PASSWORD` for the registry")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "take the password from standard input")
	fs.StringVar(&o.certDir, "cert-dir", "", "use certificates at `PATH` (*.crt, *.cert, *.key) to access the registry")
	fs.BoolVar(&o.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when accessing the registry")
	fs.BoolVar(&o.getLogin, "get-login", false, "print the user name stored for the registry")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print where the credentials were written")
	return cmd
}

// loginArgs is skopeo's argument check for login and logout: exactly one
// registry, with its sentences.
func loginArgs(verb, tooMany string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return usagef(cmd.CommandPath(), "please provide a registry to %s", verb)
		case len(args) > 1:
			return usagef(cmd.CommandPath(), "%s", tooMany)
		}
		return nil
	}
}

func (a *app) runLogin(cmd *cobra.Command, o *loginOptions, arg string) error {
	key, host, err := ferry.LoginRegistry(arg)
	if err != nil {
		return err
	}
	file, err := o.file.options(cmd, a.global.log())
	if err != nil {
		return err
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	if o.getLogin {
		c, err := client.StoredLogin(ctx, key, file...)
		if err != nil {
			return err
		}
		if c.Username == "" {
			return fmt.Errorf("not logged into %s", key)
		}
		fmt.Fprintln(a.stdout, c.Username)
		return nil
	}
	password, err := a.loginPassword(o)
	if err != nil {
		return err
	}
	check := a.loginCheck(o.tlsVerify, o.certDir)
	var stored string // the user name stored, offered at the prompt
	if o.username == "" && password == "" {
		var done bool
		if stored, done, err = a.alreadyLoggedIn(ctx, client, append(file, check...), key, host); done || err != nil {
			return err
		}
	}
	username, password, err := a.askLogin(o.username, password, stored)
	if err != nil {
		return err
	}
	if err := client.CheckLogin(ctx, key, username, password, check...); err != nil {
		return loginError(key, err)
	}
	where, err := client.SaveLogin(ctx, key, username, password, file...)
	if err != nil {
		return err
	}
	if o.verbose {
		fmt.Fprintln(a.stdout, "Used: ", where)
	}
	fmt.Fprintln(a.stdout, "Login Succeeded!")
	return nil
}

// alreadyLoggedIn is skopeo's answer to a login without credentials:
// stored credentials the registry still accepts are kept (done). Invalid
// ones are said to be so, and the login goes on to ask for new ones.
func (a *app) alreadyLoggedIn(ctx context.Context, client *ferry.Client, opts []ferry.Option, key, host string) (stored string, done bool, err error) {
	c, err := client.StoredLogin(ctx, key, opts...)
	if err != nil {
		return "", false, err
	}
	if c.IdentityToken {
		return "", false, fmt.Errorf("%w: currently logged into %s with an identity token; give --username and a password to replace it", errdefs.ErrInvalidArgument, key)
	}
	if c.Username == "" || c.Password == "" {
		return c.Username, false, nil
	}
	fmt.Fprintf(a.stdout, "Authenticating with existing credentials for %s\n", key)
	if err := client.CheckLogin(ctx, key, c.Username, c.Password, opts...); err != nil {
		a.global.log().Debug("existing credentials refused", "key", key, "error", err)
		fmt.Fprintln(a.stdout, "Existing credentials are invalid, please enter valid username and password")
		return c.Username, false, nil
	}
	fmt.Fprintf(a.stdout, "Existing credentials are valid. Already logged in to %s\n", host)
	return c.Username, true, nil
}

// loginCheck are the options a login's check reaches the registry with.
func (a *app) loginCheck(tlsVerify bool, certDir string) []ferry.Option {
	o := []ferry.Option{ferry.WithUserAgent(a.global.userAgent())}
	if !tlsVerify {
		o = append(o, ferry.WithInsecure())
	}
	if certDir != "" {
		o = append(o, ferry.WithCertDir(certDir))
	}
	return o
}

// loginError words a failed login as skopeo does; nothing has been
// written.
func loginError(key string, err error) error {
	if errors.Is(err, errdefs.ErrUnauthorized) {
		return loginRefused{key: key}
	}
	return fmt.Errorf("authenticating creds for %q: %w", key, err)
}

// loginRefused is a registry's refusal of a user name and password:
// skopeo's sentence with the registry's phrase, an errdefs.ErrUnauthorized.
type loginRefused struct{ key string }

func (e loginRefused) Error() string {
	return fmt.Sprintf("logging into %q: invalid username/password (the registry answered: authentication required)", e.key)
}

func (e loginRefused) Unwrap() error { return errdefs.ErrUnauthorized }

// loginPassword is the password given with --password or on standard
// input (--password-stdin: every line, joined, as skopeo reads it).
func (a *app) loginPassword(o *loginOptions) (string, error) {
	if !o.passwordStdin {
		return o.password, nil
	}
	if o.password != "" {
		return "", usagef("ferry login", "--password-stdin and --password cannot be used together")
	}
	if o.username == "" {
		return "", usagef("ferry login", "--password-stdin needs --username")
	}
	var b strings.Builder
	sc := bufio.NewScanner(a.stdin)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return b.String(), nil
}

// askLogin asks on the terminal for what the flags left out: the user
// name (echoed; an empty answer takes stored, the user name already
// stored, offered in the prompt as skopeo does) and the password (not
// echoed). Without a terminal it refuses rather than wait on a pipe.
func (a *app) askLogin(username, password, stored string) (string, string, error) {
	if username != "" && password != "" {
		return username, password, nil
	}
	fd := int(a.stdin.Fd())
	if !a.isTerminal(fd) {
		what := "a password"
		if username == "" {
			what = "a user name"
		}
		return "", "", fmt.Errorf("%w: login needs %s and standard input is not a terminal to ask for it (use --username and --password-stdin)", errdefs.ErrInvalidArgument, what)
	}
	if username == "" {
		if stored != "" {
			fmt.Fprintf(a.stderr, "Username (%s): ", stored)
		} else {
			fmt.Fprint(a.stderr, "Username: ")
		}
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if username = strings.TrimSpace(line); username == "" {
			username = stored
		}
		if username == "" {
			if err != nil {
				return "", "", fmt.Errorf("reading the user name: %w", err)
			}
			return "", "", fmt.Errorf("%w: the user name must not be empty", errdefs.ErrInvalidArgument)
		}
	}
	if password == "" {
		fmt.Fprint(a.stderr, "Password: ")
		b, err := a.readPassword(fd)
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", "", fmt.Errorf("reading the password: %w", err)
		}
		password = string(b)
	}
	return username, password, nil
}

// authFileFlags choose the file login and logout edit: --authfile (a
// containers auth.json) or --compat-auth-file (Docker's config.json).
type authFileFlags struct {
	authFile       string
	compatAuthFile string
}

func (f *authFileFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.authFile, "authfile", "", "`PATH` of the authentication file (default: $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else $XDG_RUNTIME_DIR/containers/auth.json)")
	fs.StringVar(&f.compatAuthFile, "compat-auth-file", "", "`PATH` of a Docker-compatible config file (config.json) to edit instead")
}

// options are the ferry options naming the file the flags choose
// (none: the default one).
func (f *authFileFlags) options(cmd *cobra.Command, log *slog.Logger) ([]ferry.Option, error) {
	if f.authFile != "" && f.compatAuthFile != "" {
		return nil, usagef(cmd.CommandPath(), "--authfile and --compat-auth-file cannot be used together")
	}
	log.Debug("auth file", "path", f.named(), "docker-format", f.compatAuthFile != "")
	switch named := f.named(); {
	case f.compatAuthFile != "":
		return []ferry.Option{ferry.WithDockerAuthFile(named)}, nil
	case named != "":
		return []ferry.Option{ferry.WithAuthFile(named)}, nil
	}
	return nil, nil
}
