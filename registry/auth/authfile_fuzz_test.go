package auth

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// FuzzAuthFile feeds auth.json / config.json content to the reader and
// the lookup: no panic, refusals carry the vocabulary, and no error
// repeats a secret the file holds.
func FuzzAuthFile(f *testing.F) {
	f.Add([]byte(`{"auths":{"r.example":{"auth":"dXNlcjpzM2NyZXQ="}}}`), "s3cret")
	f.Add([]byte(`{"auths":{"https://index.docker.io/v1/":{"auth":"YTpi"},"r.example/a":{"username":"u","password":"pw"}}}`), "pw")
	f.Add([]byte(`{"auths":{"r.example":{"auth":"!!!s3cret"}}}`), "s3cret")
	f.Add([]byte(`{"auths":{"r.example":{"auth":"czNjcmV0"}},"credHelpers":{"r.example":"x"}}`), "s3cret")
	f.Add([]byte(`{"auths":null,"credsStore":""}`), "")
	f.Fuzz(func(t *testing.T, content []byte, secret string) {
		path := filepath.Join(t.TempDir(), "auth.json")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, legacy := range []bool{false, true} {
			af, err := readAuthFile(credFile{path: path, explicit: true, legacy: legacy}, slog.New(slog.DiscardHandler))
			if err != nil {
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("reading %q: %v does not wrap ErrInvalidArgument", content, err)
				}
				continue
			}
			for _, reg := range []string{"r.example", "docker.io", "index.docker.io"} {
				_ = af.helperFor(reg)
				_, _, err := af.find(path, reg, "a/b")
				if err == nil {
					continue
				}
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("lookup in %q: %v does not wrap ErrInvalidArgument", content, err)
				}
				if len(secret) >= 4 && strings.Contains(string(content), secret) && strings.Contains(err.Error(), secret) {
					t.Fatalf("lookup error repeats a secret of the file: %v", err)
				}
			}
		}
	})
}
