package cli

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/signature/sigstore"
)

// runTTY runs the CLI with a fake terminal that answers each passphrase
// prompt with the next of typed.
func runTTY(t *testing.T, typed []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(&out, &errb)
	a.isTerminal = func(int) bool { return typed != nil }
	a.readPassword = func(int) ([]byte, error) {
		if len(typed) == 0 {
			return nil, errors.New("no more input")
		}
		s := typed[0]
		typed = typed[1:]
		return []byte(s), nil
	}
	code = a.run(context.Background(), args)
	return out.String(), errb.String(), code
}

func writeTestFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGenerateSigstoreKey: the key pair skopeo writes (the private key
// mode 0600, decrypting with the passphrase given by file or typed twice
// at the terminal), and refusals that leave nothing behind: an existing
// file, passphrases that differ, no terminal to ask on.
func TestGenerateSigstoreKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "k")
	pass := writeTestFile(t, filepath.Join(dir, "pass"), "s3cret\n")
	stdout, stderr, code := runCLI(t, "generate-sigstore-key", "--output-prefix", prefix, "--passphrase-file", pass)
	if code != 0 || !strings.Contains(stdout, `Key written to "`+prefix+`.private" and "`+prefix+`.pub"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	st, err := os.Stat(prefix + ".private")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v, %v", st, err)
	}
	priv, _ := os.ReadFile(prefix + ".private")
	pub, _ := os.ReadFile(prefix + ".pub")
	k, err := sigstore.ParsePrivateKey(priv, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := sigstore.ParsePublicKey(pub); err != nil || !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(p) {
		t.Errorf("the public key file does not match the private key: %v", err)
	}

	// Existing files are never replaced, even one of the two.
	_, stderr, code = runCLI(t, "generate-sigstore-key", "--output-prefix", prefix, "--passphrase-file", pass)
	wantOneLine(t, stderr, `Refusing to overwrite existing "`+prefix+`.pub"`)
	if after, _ := os.ReadFile(prefix + ".private"); code != 1 || !bytes.Equal(after, priv) {
		t.Errorf("exit %d; private key changed: %v", code, !bytes.Equal(after, priv))
	}
	half := filepath.Join(dir, "half")
	writeTestFile(t, half+".private", "mine")
	_, stderr, code = runCLI(t, "generate-sigstore-key", "--output-prefix", half, "--passphrase-file", pass)
	wantOneLine(t, stderr, "Refusing to overwrite existing")
	if _, err := os.Stat(half + ".pub"); code != 1 || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("exit %d, %s.pub: %v", code, half, err)
	}

	// Typed at the terminal, twice.
	typed := filepath.Join(dir, "typed")
	if _, stderr, code := runTTY(t, []string{"pw", "pw"}, "generate-sigstore-key", "--output-prefix", typed); code != 0 || !strings.Contains(stderr, "Passphrase for key "+typed+".private") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	b, _ := os.ReadFile(typed + ".private")
	if _, err := sigstore.ParsePrivateKey(b, []byte("pw")); err != nil {
		t.Errorf("typed passphrase: %v", err)
	}
	for name, answers := range map[string][]string{"mismatch": {"a", "b"}, "no terminal": nil} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		_, stderr, code := runTTY(t, answers, "generate-sigstore-key", "--output-prefix", p)
		if code != 1 {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
		for _, f := range []string{p + ".private", p + ".pub"} {
			if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: %s written", name, f)
			}
		}
	}
}
