package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeprecatedGlobalTLSVerify: skopeo's hidden top-level --tls-verify is
// accepted with skopeo's warning where the command has no --tls-verify of
// its own, and taken by the command's own flag where it has one.
func TestDeprecatedGlobalTLSVerify(t *testing.T) {
	t.Parallel()
	mf := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(mf, []byte(`{"schemaVersion":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, "--tls-verify=false", "manifest-digest", mf)
	if code != 0 || !strings.HasPrefix(stdout, "sha256:") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "'--tls-verify' is deprecated, please set this on the specific subcommand") {
		t.Errorf("no deprecation warning: %q", stderr)
	}
	// inspect has its own --tls-verify: no warning, the flag is inspect's.
	_, stderr, _ = runCLI(t, "--tls-verify=false", "inspect", "oci:"+filepath.Join(t.TempDir(), "none")+":x")
	if strings.Contains(stderr, "deprecated") {
		t.Errorf("inspect's own --tls-verify warned: %q", stderr)
	}
}
