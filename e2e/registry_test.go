package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testenv"
	"golang.org/x/crypto/bcrypt"
)

// debianRegistry is a docker-registry process started for one test.
type debianRegistry struct {
	host    string // 127.0.0.1:PORT
	certDir string // holds ca.crt when TLS is on
}

type registryOptions struct {
	tls            bool
	user, password string // htpasswd auth when user is set
}

// startRegistry starts Debian's docker-registry on a free loopback port and
// stops it when the test ends.
func startRegistry(t *testing.T, o registryOptions) *debianRegistry {
	t.Helper()
	bin := testenv.NeedCommand(t, "docker-registry")
	dir := t.TempDir()
	r := &debianRegistry{}
	// Port 0: the registry picks a free port and logs it ("listening on
	// 127.0.0.1:PORT"). A port found free beforehand could be taken by
	// another process before the registry binds it.
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
`, filepath.Join(dir, "data"))
	if o.tls {
		r.certDir = filepath.Join(dir, "certs")
		cert, key := writeCerts(t, r.certDir)
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", cert, key)
	}
	if o.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(o.password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(o.user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: ferry-e2e\n    path: %s\n", htpasswd)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	// Wait for the registry to say where it listens, or to exit.
	listening := regexp.MustCompile(`msg="listening on (127\.0\.0\.1:[0-9]+)`)
	for r.host == "" {
		log, _ := os.ReadFile(logf.Name())
		if m := listening.FindSubmatch(log); m != nil {
			r.host = string(m[1])
			break
		}
		select {
		case <-exited:
			t.Fatalf("docker-registry ended before it listened: %s", log)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return r
}

// writeCerts makes a CA and a server certificate for 127.0.0.1, writes
// ca.crt into dir (the layout of Docker's certs.d) and returns the server
// certificate and key paths.
func writeCerts(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ferry e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ca.crt", "CERTIFICATE", caDER)
	// The server's own files live beside, under names Docker's certs.d
	// layout would not pick up as client credentials.
	return write("server.pem", "CERTIFICATE", srvDER), write("server-key.pem", "EC PRIVATE KEY", keyDER)
}
