package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

// diffEnv is what every differential case runs against: Debian's skopeo,
// ferry installed under skopeo's name (a symlink called "skopeo", as a user
// replacing skopeo would install it), two Debian registries (one open, one
// behind htpasswd) and fixtures that skopeo wrote, which no case modifies.
type diffEnv struct {
	skopeo, ferry  string
	reg, auth, tls *debianRegistry
	fixtures       string // {fx}
	fingerprint    string // {fpr}: a GPG key in gnupgHome
	gnupgHome      string
	daemon         string // {daemon}: a private dockerd's address, for the daemon cases
}

// The password of the htpasswd registry's user alice.
const authPassword = "right-pass"

func newDiffEnv(t *testing.T) *diffEnv {
	t.Helper()
	e := &diffEnv{skopeo: testenv.NeedCommand(t, "skopeo")}
	testenv.NeedCommand(t, "gpg")
	// The cases and the differences are calibrated on Debian's 1.9.3.
	if v, err := exec.Command(e.skopeo, "--version").Output(); err != nil || string(v) != "skopeo version 1.9.3\n" {
		t.Fatalf("the differential suite needs skopeo 1.9.3 (Debian's); %s says %q (%v)", e.skopeo, v, err)
	}
	bin := t.TempDir()
	e.ferry = filepath.Join(bin, "skopeo")
	if err := os.Symlink(ferryBin, e.ferry); err != nil {
		t.Fatal(err)
	}
	e.reg = startRegistry(t, registryOptions{})
	e.auth = startRegistry(t, registryOptions{user: "alice", password: authPassword})
	e.tls = startRegistry(t, registryOptions{tls: true})
	e.fixtures = t.TempDir()
	e.gnupgHome = newGnupgHome(t)
	e.fingerprint = e.gpgKey(t, "ferry differential <diff@example.com>")

	// The fixtures, written by skopeo so that both tools read what skopeo
	// users have. sample is testdata's two-platform OCI index.
	for _, args := range [][]string{
		{"copy", "--all", "--dest-tls-verify=false", "oci:{sample}:latest", "docker://{reg}/sample:1"},
		{"copy", "--all", "--format", "v2s2", "--dest-tls-verify=false", "oci:{sample}:latest", "docker://{reg}/dlist:1"},
		{"copy", "--format", "v2s2", "--dest-tls-verify=false", "oci:{sample}:latest", "docker://{reg}/v2:1"},
		{"copy", "--dest-tls-verify=false", "oci:{sample}:latest", "docker://{reg}/oci1:1"},
		{"copy", "--src-tls-verify=false", "docker://{reg}/v2:1", "dir:{fx}/dir"},
		{"copy", "--src-tls-verify=false", "docker://{reg}/v2:1", "docker-archive:{fx}/docker.tar:fixture/app:1"},
		{"copy", "oci:{sample}:latest", "oci-archive:{fx}/oci.tar"},
		{"copy", "--all", "oci:{sample}:latest", "oci:{fx}/oci:idx"},
		{"copy", "oci:{sample}:latest", "oci:{fx}/oci:one"},
		{"copy", "--dest-tls-verify=false", "--dest-creds", "alice:" + authPassword, "oci:{sample}:latest", "docker://{auth}/app:1"},
		{"copy", "--dest-cert-dir", "{certs}", "oci:{sample}:latest", "docker://{tls}/app:1"},
		{"standalone-sign", "{fx}/dir/manifest.json", "{reg}/v2:1", "{fpr}", "-o", "{fx}/signature"},
	} {
		r := e.run(t, e.skopeo, e.expand(args, "fixture", "{fx}/unused"))
		if r.code != 0 {
			t.Fatalf("making fixtures: skopeo %s: %s", strings.Join(args, " "), r.stderr)
		}
	}
	writeLayerTar(t, filepath.Join(e.fixtures, "layer.tar"))
	// The archives compressed as a whole, as users compress them.
	compressFixture(t, "xz", filepath.Join(e.fixtures, "docker.tar"), filepath.Join(e.fixtures, "docker.tar.xz"))
	compressFixture(t, "zstd", filepath.Join(e.fixtures, "oci.tar"), filepath.Join(e.fixtures, "oci.tar.zst"))
	// alice's credentials for the htpasswd registry, as skopeo login writes them.
	authJSON := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, e.auth.host, base64.StdEncoding.EncodeToString([]byte("alice:"+authPassword)))
	if err := os.WriteFile(filepath.Join(e.fixtures, "auth.json"), []byte(authJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	// The key has no passphrase; gpg takes any given.
	if err := os.WriteFile(filepath.Join(e.fixtures, "passphrase"), []byte("unused\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// expand fills a case's placeholders for one tool: {reg}, {auth} and {tls}
// are the registries ({certs} holds the TLS one's CA), {fx} the fixtures, {sample} testdata's OCI layout, {fpr} the
// GPG key; {out} is a directory and {repo} a repository of the tool's own
// ({rname} its name without the registry),
// so each tool writes where the other does not.
func (e *diffEnv) expand(args []string, repo, out string) []string {
	r := strings.NewReplacer(
		"{reg}", e.reg.host,
		"{auth}", e.auth.host,
		"{tls}", e.tls.host,
		"{certs}", e.tls.certDir,
		"{daemon}", e.daemon,
		"{daemon}", e.daemon,
		"{fx}", e.fixtures,
		"{sample}", filepath.Join(repoRoot(), "testdata", "sample"),
		"{fpr}", e.fingerprint,
		"{out}", out,
		"{repo}", e.reg.host+"/"+repo,
		"{rname}", repo,
	)
	out2 := make([]string, len(args))
	for i, a := range args {
		out2[i] = r.Replace(a)
	}
	return out2
}

// run runs one tool with the global options every case gets (no policy
// file exists in the test's HOME) and the test's GPG home.
func (e *diffEnv) run(t *testing.T, bin string, args []string) result {
	t.Helper()
	return e.runEnv(t, nil, bin, args)
}

// runEnv is run with more environment variables.
func (e *diffEnv) runEnv(t *testing.T, env []string, bin string, args []string) result {
	t.Helper()
	env = append([]string{"GNUPGHOME=" + e.gnupgHome}, env...)
	return run(t, env, bin, append([]string{"--insecure-policy"}, args...)...)
}

// newGnupgHome makes an empty GPG home, with a short path: gpg-agent's
// socket path must fit in sockaddr_un.
func newGnupgHome(t *testing.T) string {
	t.Helper()
	home, err := os.MkdirTemp("/tmp", "fd")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = append(os.Environ(), "GNUPGHOME="+home)
		kill.Run()
		os.RemoveAll(home)
	})
	return home
}

// gpgKey makes a signing key without a passphrase and returns its
// fingerprint.
func (e *diffEnv) gpgKey(t *testing.T, uid string) string {
	t.Helper()
	gpg := func(args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+e.gnupgHome)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	gpg("--quick-gen-key", uid, "ed25519", "sign", "never")
	for _, l := range strings.Split(gpg("--with-colons", "--list-keys", uid), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			return strings.Split(l, ":")[9]
		}
	}
	t.Fatalf("no fingerprint for %s", uid)
	return ""
}

// writeLayerTar writes a small uncompressed layer for the tarball: transport.
// compressFixture compresses the file src into dst with the real tool.
func compressFixture(t *testing.T, tool, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(testenv.NeedCommand(t, tool), "-c")
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -c %s: %v\n%s", tool, src, err, stderr.Bytes())
	}
}

func writeLayerTar(t *testing.T, path string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for i, name := range []string{"etc/", "etc/motd"} {
		h := &tar.Header{Name: name, Mode: 0o755, Typeflag: tar.TypeDir}
		body := []byte(nil)
		if i == 1 {
			body = []byte("differential\n")
			h = &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(fmt.Errorf("writing the layer tarball: %w", err))
	}
}
