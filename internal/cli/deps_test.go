package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

// cliOnly are the packages only the command line may import: the library
// stays usable without cobra, and never reaches into the CLI.
var cliOnly = []string{
	"github.com/spf13/cobra",
	"github.com/spf13/pflag",
	"github.com/ferrytool/ferry/internal/cli",
}

// TestLibraryDependencies lists every package of the module except the
// command line itself (cmd/..., internal/cmd/..., internal/cli) and fails if any of them
// depends, directly or not, on a CLI-only package.
func TestLibraryDependencies(t *testing.T) {
	goBin := testenv.NeedCommand(t, "go")
	t.Parallel()
	out, err := exec.Command(goBin, "list", "-e", "github.com/ferrytool/ferry/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var libs []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/ferrytool/ferry/cmd/") || strings.HasPrefix(p, "github.com/ferrytool/ferry/internal/cmd/") || p == "github.com/ferrytool/ferry/internal/cli" {
			continue
		}
		libs = append(libs, p)
	}
	if len(libs) < 5 {
		t.Fatalf("go list found only %v; the module layout changed?", libs)
	}
	// For every package in the dependency closure, its direct imports: so
	// a failure can name the importer.
	args := append([]string{"list", "-e", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`}, libs...)
	out, err = exec.Command(goBin, args...).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, imp := range fields[1:] {
			for _, bad := range cliOnly {
				if imp == bad || strings.HasPrefix(imp, bad+"/") {
					t.Errorf("%s imports %s, which only the command line may use", fields[0], imp)
				}
			}
		}
	}
}
