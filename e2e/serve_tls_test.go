package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"golang.org/x/crypto/bcrypt"
)

// TestServeTLSAuth: `ferry serve --tls-cert --tls-key --htpasswd` serves
// HTTPS to clients that trust its CA and only to users of the htpasswd
// file: ferry and skopeo push and pull with credentials, and are refused
// without them (ferry in one sentence, exit 1).
func TestServeTLSAuth(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	certDir := filepath.Join(dir, "certs")
	cert, key := writeCerts(t, certDir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--tls-cert", cert, "--tls-key", key, "--htpasswd", htpasswd, "oci:"+filepath.Join(dir, "layout"))

	r := ferry(t, 1, "copy", "-q", "--dest-cert-dir", certDir, "oci:"+samplePath+":latest", "docker://"+s.host+"/app:1")
	oneLine(t, r)
	ferry(t, 0, "copy", "-q", "--dest-cert-dir", certDir, "--dest-creds", "alice:s3cret", "oci:"+samplePath+":latest", "docker://"+s.host+"/app:1")
	if r := run(t, nil, skopeo, "inspect", "--raw", "--cert-dir", certDir, "--creds", "alice:s3cret", "docker://"+s.host+"/app:1"); r.code != 0 {
		t.Errorf("skopeo over TLS with credentials: %s", r.stderr)
	}
	if r := run(t, nil, skopeo, "inspect", "--raw", "--cert-dir", certDir, "docker://"+s.host+"/app:1"); r.code == 0 {
		t.Error("skopeo read the image without credentials")
	}
	if !strings.Contains(s.log(), `- alice [`) {
		t.Errorf("the access log names no user:\n%s", s.log())
	}
}
