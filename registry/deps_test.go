package registry_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

// TestNoTransportDependency: the registry client (and its auth and hints)
// is configured by its own options, so transports can build on it
// without it reaching back into the transport layer.
func TestNoTransportDependency(t *testing.T) {
	goBin := testenv.NeedCommand(t, "go")
	t.Parallel()
	out, err := exec.Command(goBin, "list", "-deps", "github.com/ferrytool/ferry/registry/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list found only %v", deps)
	}
	for _, p := range deps {
		if p == "github.com/ferrytool/ferry/transport" || strings.HasPrefix(p, "github.com/ferrytool/ferry/transport/") ||
			p == "github.com/ferrytool/ferry/transports" {
			t.Errorf("the registry packages depend on %s", p)
		}
	}
}
