package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CredentialHelper is a docker-credential helper written by a test: a real
// executable speaking the docker-credential-helpers protocol (store, get,
// erase on stdin and stdout), keeping each server's JSON in a file of its
// own directory, so a test can see what it holds.
type CredentialHelper struct {
	// Name is what auth files call it (credHelpers, credsStore).
	Name string
	// Dir holds docker-credential-NAME: put it first on $PATH.
	Dir string
	// Store holds one file per server the helper keeps a secret for.
	Store string
}

// NewCredentialHelper writes docker-credential-NAME into a temporary
// directory (it needs /bin/sh, sed and tr).
func NewCredentialHelper(t testing.TB, name string) *CredentialHelper {
	t.Helper()
	h := &CredentialHelper{Name: name, Dir: t.TempDir(), Store: t.TempDir()}
	script := `#!/bin/sh
store='` + h.Store + `'
file() { printf '%s' "$1" | tr '/:' '__'; }
notfound() { echo "credentials not found in native keychain"; exit 1; }
case "$1" in
store)
	input=$(cat)
	server=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
	[ -n "$server" ] || { echo "no ServerURL"; exit 1; }
	printf '%s' "$input" > "$store/$(file "$server")" ;;
get)
	read -r server
	[ -f "$store/$(file "$server")" ] || notfound
	cat "$store/$(file "$server")" ;;
erase)
	read -r server
	[ -f "$store/$(file "$server")" ] || notfound
	rm "$store/$(file "$server")" ;;
*)
	echo "unknown action $1"; exit 1 ;;
esac
`
	p := filepath.Join(h.Dir, "docker-credential-"+name)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

// Servers lists the server URLs the helper holds a secret for, in the
// file names' spelling ("/" and ":" as "_").
func (h *CredentialHelper) Servers(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(h.Store)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Holds reports whether the helper keeps a secret for server.
func (h *CredentialHelper) Holds(t testing.TB, server string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(h.Store, strings.NewReplacer("/", "_", ":", "_").Replace(server)))
	return err == nil
}
