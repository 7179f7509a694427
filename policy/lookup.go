package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Locations says where Find looks; DefaultLocations is the system's.
// Tests point the fields at temporary directories.
type Locations struct {
	// Getenv reads CONTAINERS_POLICY_JSON, XDG_CONFIG_HOME and HOME.
	Getenv func(string) string
	// System lists the system-wide files after the user's, in order
	// (/etc/containers/policy.json, /usr/share/containers/policy.json).
	System []string
}

// DefaultLocations are containers/image's.
func DefaultLocations() Locations {
	return Locations{
		Getenv: os.Getenv,
		System: []string{"/etc/containers/policy.json", "/usr/share/containers/policy.json"},
	}
}

// Find returns the policy file to use: explicit (--policy) when set, else
// $CONTAINERS_POLICY_JSON, else the first existing of
// $XDG_CONFIG_HOME/containers/policy.json (~/.config/... without it) and
// the system files. "" means there is none at all. A file named
// explicitly, or by the environment, must exist.
func (l Locations) Find(explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv("CONTAINERS_POLICY_JSON"); p != "" {
		return p, nil
	}
	var candidates []string
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		candidates = append(candidates, filepath.Join(x, "containers", "policy.json"))
	} else if h := getenv("HOME"); h != "" {
		candidates = append(candidates, filepath.Join(h, ".config", "containers", "policy.json"))
	}
	candidates = append(candidates, l.System...)
	for _, c := range candidates {
		_, err := os.Stat(c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", invalid(err)
		}
	}
	return "", nil
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, invalid(err)
	}
	p, err := Parse(b)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			le.Path = path
		}
		return nil, err
	}
	return p, nil
}
