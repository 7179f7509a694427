package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/registriesconf"
)

// RegistriesConf writes text as a registries.conf in a temporary
// directory and reads it alone: no drop-ins, no override, nothing of the
// machine's, whatever the environment says.
func RegistriesConf(t testing.TB, text string) *registriesconf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := registriesconf.Load(registriesconf.Options{Path: p, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("registries.conf: %v", err)
	}
	return c
}
