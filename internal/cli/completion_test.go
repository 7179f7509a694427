package cli

import (
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/spf13/cobra"
)

// TestCompletion: each shell's script comes out on stdout and names
// ferry's commands; bash loads it and completes a command name through
// it; an unknown shell is a usage error.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errOut, code := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "ferry") || errOut != "" {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes of script", shell, code, errOut, len(out))
		}
	}
	if _, errOut, code := runCLI(t, "completion", "tcsh"); code != 1 || !strings.Contains(errOut, "tcsh") {
		t.Errorf("completion tcsh: exit %d, stderr %q; want 1 and a sentence naming it", code, errOut)
	}
	// Cobra's scripts ask the program itself (the hidden __complete
	// command) what to offer.
	out, _, code := runCLI(t, "__complete", "ma")
	if code != 0 || !strings.Contains(out, "manifest-digest") {
		t.Errorf("__complete ma: exit %d, %q; want manifest-digest offered", code, out)
	}
	out, _, _ = runCLI(t, "__complete", "copy", "--dest-tls")
	if !strings.Contains(out, "--dest-tls-verify") {
		t.Errorf("__complete copy --dest-tls: %q; want --dest-tls-verify offered", out)
	}
}

// TestCompletionInBash sources the bash script in a real bash and checks
// that it registers a completion for ferry.
func TestCompletionInBash(t *testing.T) {
	t.Parallel()
	bash := testenv.NeedCommand(t, "bash")
	script, _, code := runCLI(t, "completion", "bash")
	if code != 0 {
		t.Fatal("no bash script")
	}
	path := filepath.Join(t.TempDir(), "ferry.bash")
	if err := writeFileAtomic(path, []byte(script)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-c", "source "+path+" && complete -p ferry").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ferry") {
		t.Fatalf("bash could not load the script: %v\n%s", err, out)
	}
}

// TestEveryCommandHasExamples: --help shows examples for every command a
// user can run.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.IsAvailableCommand() || !c.HasParent() {
			if c.Example == "" && c.Runnable() {
				t.Errorf("%s has no --help examples (cobra's Example field, or the examples map)", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(io.Discard, io.Discard).rootCommand())
}
