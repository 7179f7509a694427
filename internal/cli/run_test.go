package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
)

// runCLI runs ferry in process and returns what it printed and its exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// wantOneLine checks that stderr is one "ferry: ..." line holding want.
func wantOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	msg := strings.TrimSuffix(stderr, "\n")
	if !strings.HasPrefix(msg, "ferry: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Errorf("stderr = %q, want one line \"ferry: ...%s...\"", stderr, want)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"not found", errdefs.ErrNotFound, 2},
		{"wrapped not found", fmt.Errorf("localhost:5000/app:9: manifest unknown: %w", errdefs.ErrNotFound), 2},
		{"joined with not found", errors.Join(errors.New("x"), fmt.Errorf("y: %w", errdefs.ErrNotFound)), 2},
		{"unauthorized", fmt.Errorf("localhost:5000/app: %w", errdefs.ErrUnauthorized), 1},
		{"no such platform", fmt.Errorf("docker://h/app:1: %w", &manifest.NoInstanceError{Platform: manifest.Platform{OS: "linux", Architecture: "s390x"}}), 1},
		{"digest mismatch", errdefs.ErrDigestMismatch, 1},
		{"plain error", errors.New("boom"), 1},
		{"usage", usagef("ferry copy", "exactly two arguments expected"), 1},
		{"canceled", context.Canceled, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ExitCode(tc.err); got != tc.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestPrintError(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"one line", context.Background(), fmt.Errorf("localhost:5000/app:9: manifest unknown: %w", errdefs.ErrNotFound),
			"ferry: localhost:5000/app:9: manifest unknown: not found\n"},
		{"multi-line message folded", context.Background(), errors.New("registry said:\n  quota exceeded\r\n  try later"),
			"ferry: registry said: quota exceeded try later\n"},
		{"usage error gets a hint", context.Background(), usagef("ferry copy", "exactly two arguments expected"),
			"ferry: exactly two arguments expected\nRun 'ferry copy --help' for usage.\n"},
		{"interrupted", canceled, fmt.Errorf("copy: %w", context.Canceled), "ferry: interrupted\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			newApp(&buf, &buf).printError(tc.ctx, tc.err)
			if got := buf.String(); got != tc.want {
				t.Errorf("printError = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
		hint string
	}{
		{[]string{"inspect"}, "exactly one argument expected (IMAGE-NAME), got 0", "ferry inspect"},
		{[]string{"copy", "oci:/a"}, "exactly two arguments expected (SOURCE-IMAGE DESTINATION-IMAGE), got 1", "ferry copy"},
		{[]string{"inspect", "--bogus", "oci:/a"}, "unknown flag: --bogus", "ferry inspect"},
		{[]string{"--command-timeout", "soon", "inspect", "oci:/a"}, "invalid argument \"soon\"", "ferry inspect"},
		{[]string{"inspect", "--raw", "--format", "{{.Name}}", "oci:/a"}, "--raw output does not support --format", "ferry inspect"},
		{[]string{"nosuchcommand"}, "unknown command \"nosuchcommand\"", "ferry"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "ferry: ") || !strings.Contains(lines[0], tc.want) ||
				lines[1] != "Run '"+tc.hint+" --help' for usage." {
				t.Errorf("stderr = %q, want \"ferry: ...%s...\" and a hint to run %s --help", stderr, tc.want, tc.hint)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--version"}, []string{"ferry version " + versionString() + "\n"}},
		{[]string{"-v"}, []string{"ferry version "}},
		{[]string{"--help"}, []string{"Examples:", "copy", "inspect", "list-tags", "manifest-digest", "delete", "--override-arch", "--command-timeout"}},
		{[]string{"copy", "--help"}, []string{"Examples:", "ferry copy", "--src-creds", "--dest-tls-verify", "--multi-arch", "--digestfile", "--authfile"}},
		{[]string{"inspect", "--help"}, []string{"Examples:", "--raw", "--config", "--no-tags", "--format", "--tls-verify", "--retry-times"}},
		{[]string{"delete", "--help"}, []string{"Examples:", "every tag", "--tag-only"}},
		{[]string{"list-tags", "--help"}, []string{"Examples:", "docker://"}},
		{[]string{"manifest-digest", "--help"}, []string{"Examples:", "MANIFEST-FILE"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// TestVersionAsSkopeo: installed under skopeo's name, --version prints a
// line a script parsing "skopeo version X.Y.Z" accepts, and says it is ferry.
func TestVersionAsSkopeo(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"skopeo", "ferry"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			a := newApp(&out, &errb)
			a.progName = name
			if code := a.run(context.Background(), []string{"--version"}); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			fields := strings.Fields(out.String())
			switch name {
			case "skopeo":
				if len(fields) < 3 || fields[0] != "skopeo" || fields[1] != "version" || fields[2] != SkopeoVersion || !strings.Contains(out.String(), "ferry "+versionString()) {
					t.Errorf("as skopeo, --version printed %q", out.String())
				}
			default:
				if out.String() != "ferry version "+versionString()+"\n" {
					t.Errorf("as ferry, --version printed %q", out.String())
				}
			}
		})
	}
}
