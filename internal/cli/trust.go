package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/policy"
)

// trustPolicy is the copier.Policy the global options choose: nil (accept
// anything) with --insecure-policy or when no policy file exists anywhere
// (ferry is a static binary no package configures; skopeo refuses to run
// there), else the policy file found, enforced.
func (g *globalOptions) trustPolicy() (copier.Policy, error) {
	if g.insecurePolicy {
		return nil, nil
	}
	path, err := g.policyLocations.Find(g.policyPath)
	if err != nil {
		return nil, fmt.Errorf("Error loading trust policy: %w", err)
	}
	if path == "" {
		g.log().Debug("no trust policy file found (--policy, CONTAINERS_POLICY_JSON, $XDG_CONFIG_HOME/containers/policy.json, /etc/containers/policy.json, /usr/share/containers/policy.json): accepting any image")
		return nil, nil
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading trust policy: %w", err)
	}
	g.log().Debug("using trust policy", "file", path)
	return policy.NewEvaluator(p, g.log()), nil
}

// readPassphrase reads a passphrase file as skopeo does: the first line,
// without its line ending. "" reads nothing.
func readPassphrase(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: reading the passphrase file: %w", errdefs.ErrInvalidArgument, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
