package cli

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
)

// credentials checks the credential flags of one image and returns what
// they say. --creds and --username are two spellings of the same thing and
// cannot be combined; --no-creds cannot be combined with any credential.
func (a *app) credentials(f *imageFlags) (auth.Settings, error) {
	p := "--" + f.prefix
	creds, user, pass, token := f.set("creds"), f.set("username"), f.set("password"), f.set("registry-token")
	switch {
	case creds && user:
		return auth.Settings{}, fmt.Errorf("%w: %screds and %susername cannot be used together", errdefs.ErrInvalidArgument, p, p)
	case f.noCreds && (creds || user || pass || token):
		return auth.Settings{}, fmt.Errorf("%w: %sno-creds cannot be used with %screds, %susername, %spassword or %sregistry-token",
			errdefs.ErrInvalidArgument, p, p, p, p, p)
	case pass && !user:
		return auth.Settings{}, fmt.Errorf("%w: %spassword needs %susername", errdefs.ErrInvalidArgument, p, p)
	case user && !pass:
		return auth.Settings{}, fmt.Errorf("%w: %susername needs %spassword (or use %screds USERNAME to be asked for it)", errdefs.ErrInvalidArgument, p, p, p)
	}
	out := auth.Settings{NoCreds: f.noCreds}
	if token {
		out.BearerToken = f.registryToken
	}
	switch {
	case creds:
		u, pw, err := a.parseCreds(p+"creds", f.creds)
		if err != nil {
			return auth.Settings{}, err
		}
		out.Username, out.Password = u, pw
	case user:
		if f.username == "" {
			return auth.Settings{}, fmt.Errorf("%w: %susername must not be empty", errdefs.ErrInvalidArgument, p)
		}
		out.Username, out.Password = f.username, f.password
	}
	return out, nil
}

// parseCreds reads "USERNAME[:PASSWORD]". The password may itself hold
// colons. Without ":PASSWORD" the password is asked for on the terminal,
// echo off, when standard input is one; otherwise it is an error.
func (a *app) parseCreds(flag, s string) (user, password string, err error) {
	if s == "" {
		return "", "", fmt.Errorf("%w: %s: credentials must not be empty", errdefs.ErrInvalidArgument, flag)
	}
	user, password, ok := strings.Cut(s, ":")
	if user == "" {
		return "", "", fmt.Errorf("%w: %s: the username must not be empty", errdefs.ErrInvalidArgument, flag)
	}
	if ok {
		return user, password, nil
	}
	password, err = a.promptPassword(user)
	if err != nil {
		return "", "", fmt.Errorf("%s %s: %w", flag, user, err)
	}
	return user, password, nil
}

func (a *app) promptPassword(user string) (string, error) {
	fd := int(a.stdin.Fd())
	if !a.isTerminal(fd) {
		return "", fmt.Errorf("%w: no password given and standard input is not a terminal to ask for one (give USERNAME:PASSWORD)", errdefs.ErrInvalidArgument)
	}
	fmt.Fprintf(a.stderr, "Password for %s: ", user)
	b, err := a.readPassword(fd)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
