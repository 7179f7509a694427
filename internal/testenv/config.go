package testenv

import (
	"os"
	"path/filepath"
)

// IsolateConfig points $XDG_CONFIG_HOME at a fresh temporary directory for
// the whole test binary, holding a registries.d whose default lookaside is
// inside it too. Commands run in-process then read no configuration of the
// machine's user, and signatures pushed to a registry never land in the
// machine's lookaside (for root, /var/lib/containers/sigstore, whatever the
// environment says), where they would follow later runs' images. An empty
// registries.conf there stands for the machine's (CONTAINERS_REGISTRIES_CONF),
// so no mirror or block configured on the machine changes a test. Call it
// from TestMain; the returned func removes the directory.
func IsolateConfig() func() {
	dir, err := os.MkdirTemp("", "ferry-test-config-")
	if err != nil {
		panic(err)
	}
	regsD := filepath.Join(dir, "containers", "registries.d")
	if err := os.MkdirAll(regsD, 0o755); err != nil {
		panic(err)
	}
	yaml := "default-docker:\n  lookaside: file://" + filepath.ToSlash(filepath.Join(dir, "sigstore")) + "\n"
	if err := os.WriteFile(filepath.Join(regsD, "ferry-tests.yaml"), []byte(yaml), 0o644); err != nil {
		panic(err)
	}
	// An empty registries.conf, read instead of the machine's
	// /etc/containers files (no drop-ins either).
	regsConf := filepath.Join(dir, "containers", "registries.conf")
	if err := os.WriteFile(regsConf, nil, 0o644); err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Setenv("CONTAINERS_REGISTRIES_CONF", regsConf)
	os.Unsetenv("CONTAINERS_REGISTRIES_CONF_OVERRIDE")
	return func() { os.RemoveAll(dir) }
}
