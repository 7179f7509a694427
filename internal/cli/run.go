// Package cli is ferry's command line: skopeo's commands, flags and
// transport syntax on top of ferry's library packages. It is the only
// package of the binary that imports cobra (internal/cmd/genman renders
// its commands as man pages), and the only one that writes to the
// terminal: results on stdout, logs, progress and errors on stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/registriesconf"
	"github.com/ferrytool/ferry/registriesd"
	"github.com/ferrytool/ferry/registry"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, as skopeo's: 0 success, 1 failure, 2 image not found.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitNotFound = 2
)

// Command returns ferry's command tree, unattached to any output: for
// tools that render it (internal/cmd/genman writes the man pages from it).
func Command() *cobra.Command { return newApp(io.Discard, io.Discard).rootCommand() }

// Run runs ferry with args (without the program name) and returns the
// process exit code. Results go to stdout; logs, progress and the one-line
// error message go to stderr. ctx cancels the command (SIGINT/SIGTERM in
// main).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newApp(stdout, stderr).run(ctx, args)
}

// ExitCode maps an error to ferry's exit code: 2 when the image or tag
// does not exist (errdefs.ErrNotFound), 1 for any other error. An index
// without the wanted platform is 1, as in skopeo: the image exists.
func ExitCode(err error) int {
	var noInstance *manifest.NoInstanceError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &noInstance):
		return ExitFailure
	case errors.Is(err, errdefs.ErrNotFound):
		return ExitNotFound
	}
	return ExitFailure
}

// app is one run of the command line: its streams, its terminal access
// (replaced in tests) and the global options parsed from the flags.
type app struct {
	stdout, stderr io.Writer
	// stdin is read for password prompts when it is a terminal.
	stdin        *os.File
	isTerminal   func(fd int) bool
	readPassword func(fd int) ([]byte, error)

	// progName is the base name the program was run as: "skopeo" when
	// installed under skopeo's name, which changes --version.
	progName string

	global globalOptions
	pool   *registry.Pool // made on first use, closed by run

	sigConfig *registriesd.Config    // registries.d, made on first use
	regConf   *registriesconf.Config // registries.conf, made on first use
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{
		stdout: stdout, stderr: stderr,
		stdin:        os.Stdin,
		isTerminal:   term.IsTerminal,
		readPassword: term.ReadPassword,
		progName:     filepath.Base(os.Args[0]),
		global:       globalOptions{policyLocations: policy.DefaultLocations()},
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	defer a.closePool()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	a.printError(ctx, err)
	return ExitCode(err)
}

// printError writes the error as one line, "ferry: <error>", and for a
// usage error a second line pointing at --help. Never a stack, never the
// whole usage text.
func (a *app) printError(ctx context.Context, err error) {
	msg := oneLine(err.Error())
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		msg = "interrupted"
	case a.global.commandTimeout > 0 && errors.Is(err, context.DeadlineExceeded):
		msg += fmt.Sprintf(" (the command did not finish within --command-timeout %s)", a.global.commandTimeout)
	case errors.Is(err, errdefs.ErrUntrustedCertificate):
		msg += " (trust the registry's CA with --cert-dir, or use --tls-verify=false)"
	}
	fmt.Fprintf(a.stderr, "ferry: %s\n", msg)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", ue.command)
	case strings.HasPrefix(err.Error(), "unknown command"):
		// cobra's own error for `ferry nosuchcommand`.
		fmt.Fprintln(a.stderr, "Run 'ferry --help' for usage.")
	}
}

// oneLine folds a multi-line message (a registry's error body, say) into
// one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)), " ")
}

// usageError is a mistake in how a command was called: a wrong number of
// arguments, an unknown or malformed flag, flags that cannot go together.
type usageError struct {
	command string // "ferry copy"
	err     error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(command, format string, args ...any) error {
	return &usageError{command: command, err: fmt.Errorf(format, args...)}
}
