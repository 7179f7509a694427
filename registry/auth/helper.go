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
	stdout, found, err := callHelper(ctx, name, "get", registry, []byte(helperServerURL(registry)))
	if err != nil || !found {
		return Credential{}, false, err
	}
	var out struct {
		Username string
		Secret   string
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		return Credential{}, false, fmt.Errorf("%w: %s: credential helper docker-credential-%s printed something that is not JSON credentials", errdefs.ErrInvalidArgument, registry, name)
	}
	if out.Username == "" && out.Secret == "" {
		return Credential{}, false, nil
	}
	if out.Username == "<token>" {
		return Credential{IdentityToken: out.Secret}, true, nil
	}
	return Credential{Username: out.Username, Password: out.Secret}, true, nil
}

// helperStore hands user and secret for registry to
// docker-credential-NAME ("store", JSON {"ServerURL","Username","Secret"}
// on stdin), as docker login does with a credential helper.
func helperStore(ctx context.Context, name, registry, user, secret string) error {
	in, err := json.Marshal(struct{ ServerURL, Username, Secret string }{helperServerURL(registry), user, secret})
	if err != nil {
		return err
	}
	_, _, err = callHelper(ctx, name, "store", registry, in)
	return err
}

// helperErase asks docker-credential-NAME to forget registry ("erase",
// the server URL on stdin); found is false when it had nothing.
func helperErase(ctx context.Context, name, registry string) (found bool, err error) {
	_, found, err = callHelper(ctx, name, "erase", registry, []byte(helperServerURL(registry)))
	return found, err
}

// callHelper runs docker-credential-NAME VERB with stdin. A failure whose
// message is the protocol's "credentials not found" is found=false, not
// an error. Only the first line of what a failing helper printed is
// quoted: helpers may print their usage.
func callHelper(ctx context.Context, name, verb, registry string, stdin []byte) (stdout []byte, found bool, err error) {
	prog := "docker-credential-" + name
	cmd := exec.CommandContext(ctx, prog, verb)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, false, fmt.Errorf("%s: running credential helper %s: %w", registry, prog, err)
		}
		msg := strings.TrimSpace(out.String() + " " + stderr.String())
		if strings.Contains(strings.ToLower(msg), "credentials not found") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("%s: credential helper %s %s failed (%s): %s", registry, prog, verb, ee.ProcessState, firstLine(msg))
	}
	return out.Bytes(), true, nil
}

// firstLine keeps an error message to one line (helpers may print usage).
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
