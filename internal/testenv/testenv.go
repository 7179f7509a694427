// Package testenv lets tests that need an outside program (skopeo, dockerd,
// docker-registry) skip on a developer machine without it, and fail in CI,
// where .ci/run installs it.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// NeedCommand returns the path of the named program. Without it the test is
// skipped, unless $CI is set: there the program is required.
func NeedCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (.ci/run installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}
