package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// helperServerURL is the server name a credential helper is asked about:
// Docker Hub's historical "https://index.docker.io/v1/", the bare host for
// every other registry (as docker login stores them).
func helperServerURL(registry string) string {
	if normalizeHost(registry) == "docker.io" {
		return "https://index.docker.io/v1/"
	}
	return registry
}

// runHelper asks docker-credential-NAME for registry's credentials
// (docker-credential-helpers protocol: "get" with the server URL on stdin,
// JSON {"Username","Secret"} on stdout). found is false when the helper
// has none; a Username of "<token>" makes Secret an identity token.
func runHelper(ctx context.Context, name, registry string) (Credential, bool, error) {
	prog := "docker-credential-" + name
	cmd := exec.CommandContext(ctx, prog, "get")
	cmd.Stdin = strings.NewReader(helperServerURL(registry))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg := strings.TrimSpace(stdout.String() + " " + stderr.String())
			if strings.Contains(strings.ToLower(msg), "credentials not found") {
				return Credential{}, false, nil
			}
			return Credential{}, false, fmt.Errorf("%s: credential helper %s failed (%s): %s", registry, prog, ee.ProcessState, firstLine(msg))
		}
		return Credential{}, false, fmt.Errorf("%s: running credential helper %s: %w", registry, prog, err)
	}
	var out struct {
		Username string
		Secret   string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return Credential{}, false, fmt.Errorf("%w: %s: credential helper %s printed something that is not JSON credentials", errdefs.ErrInvalidArgument, registry, prog)
	}
	if out.Username == "" && out.Secret == "" {
		return Credential{}, false, nil
	}
	if out.Username == "<token>" {
		return Credential{IdentityToken: out.Secret}, true, nil
	}
	return Credential{Username: out.Username, Password: out.Secret}, true, nil
}

// firstLine keeps an error message to one line (helpers may print usage).
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
