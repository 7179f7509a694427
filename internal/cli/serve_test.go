package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/serve"
)

// TestServeRefusals: bad flags and names are refused in one line (a
// usage error adds where help is), exit 1, before anything listens.
func TestServeRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("alice:plaintext\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	layout := "oci:" + filepath.Join(dir, "layout")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "exactly one argument"},
		{[]string{"serve", "--tls-cert", "c.pem", layout}, "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--max-connections", "0", layout}, "--max-connections 0"},
		{[]string{"serve", "--htpasswd", htpasswd, layout}, "not bcrypt"},
		{[]string{"serve", "dir:" + dir}, "ferry serves oci:, oci-archive: and docker-archive:"},
		{[]string{"serve", "oci-archive:" + filepath.Join(dir, "missing.tar")}, "no such file"},
		{[]string{"serve", "--addr", "256.0.0.1:1", layout}, "--addr 256.0.0.1:1"},
	} {
		_, stderr, code := runCLI(t, tt.args...)
		first, rest, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
		if code != 1 || !strings.HasPrefix(first, "ferry: ") || !strings.Contains(first, tt.want) || (rest != "" && !strings.HasPrefix(rest, "Run 'ferry serve --help'")) {
			t.Errorf("%v: exit %d, %q; want exit 1 saying %q", tt.args, code, stderr, tt.want)
		}
		if strings.Contains(stderr, "plaintext") {
			t.Errorf("%v: the htpasswd secret is printed: %q", tt.args, stderr)
		}
	}
}

// TestAccessLogFormat: the access log's line is the Common Log Format
// followed by the milliseconds taken, a format log tools read.
func TestAccessLogFormat(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	when := time.Date(2026, 11, 30, 23, 1, 2, 0, time.UTC)
	accessLogger(&b)(serve.Access{Time: when, Remote: "127.0.0.1:4242", User: "alice", Method: "GET", URI: "/v2/app/manifests/1",
		Proto: "HTTP/1.1", Status: 200, Bytes: 491, Duration: 3 * time.Millisecond})
	accessLogger(&b)(serve.Access{Time: when, Remote: "[::1]:1", Method: "HEAD", URI: "/v2/", Proto: "HTTP/2.0", Status: 401})
	want := `127.0.0.1 - alice [30/Nov/2026:23:01:02 +0000] "GET /v2/app/manifests/1 HTTP/1.1" 200 491 3` + "\n" +
		`::1 - - [30/Nov/2026:23:01:02 +0000] "HEAD /v2/ HTTP/2.0" 401 0 0` + "\n"
	if b.String() != want {
		t.Errorf("got\n%swant\n%s", b.String(), want)
	}
}
