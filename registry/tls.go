package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// systemCertDirs are searched, after the user's
// $XDG_CONFIG_HOME/containers/certs.d, for a registry's certificates when
// no CertDir is given (containers-certs.d(5), Docker's certs.d).
var systemCertDirs = []string{"/etc/containers/certs.d", "/etc/docker/certs.d"}

// certDirs lists the certs.d roots in the order they are searched: the
// user's ($XDG_CONFIG_HOME, else ~/.config), then the system's.
func certDirs() []string {
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cfg = filepath.Join(home, ".config")
		}
	}
	if cfg == "" {
		return systemCertDirs
	}
	return append([]string{filepath.Join(cfg, "containers", "certs.d")}, systemCertDirs...)
}

// hostCertDir is the first HOST[:PORT] directory of the certs.d roots
// that exists, "" if none. One that cannot be read is skipped, as
// containers/image does, with a debug line.
func hostCertDir(host string, log *slog.Logger) string {
	for _, d := range certDirs() {
		p := filepath.Join(d, host)
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			return p
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			log.Debug("certificate directory skipped", "dir", p, "error", err)
		}
	}
	return ""
}

// tlsConfig builds the TLS configuration for host: the system roots plus
// every *.crt of the certificate directory, and each *.cert/*.key pair as
// a client certificate. insecure skips server verification
// (--tls-verify=false). Without a *.crt, RootCAs stays nil: crypto/tls
// then loads the system roots at the first TLS handshake, so a copy over
// plain HTTP does not parse them (a few MiB of memory).
func tlsConfig(host, certDir string, insecure bool, log *slog.Logger) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // the user asked for it
	dir, from := certDir, "--cert-dir"
	if dir == "" {
		dir, from = hostCertDir(host, log), "certs.d"
	}
	if dir == "" {
		return cfg, nil
	}
	log.Debug("certificate directory", "host", host, "dir", dir, "from", from)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// skopeo ignores a certificate directory that does not exist.
		log.Debug("certificate directory does not exist", "dir", dir)
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading certificate directory %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, ".crt"):
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("reading CA certificate: %w", err)
			}
			if cfg.RootCAs == nil {
				if cfg.RootCAs, err = x509.SystemCertPool(); err != nil || cfg.RootCAs == nil {
					cfg.RootCAs = x509.NewCertPool()
				}
			}
			if !cfg.RootCAs.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("%w: %s holds no PEM certificate", errdefs.ErrInvalidArgument, p)
			}
			log.Debug("trusting CA certificate", "file", p)
		case strings.HasSuffix(name, ".cert"):
			key := strings.TrimSuffix(p, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(p, key)
			if err != nil {
				return nil, fmt.Errorf("%w: client certificate %s with key %s: %v", errdefs.ErrInvalidArgument, p, filepath.Base(key), err)
			}
			cfg.Certificates = append(cfg.Certificates, pair)
			log.Debug("using client certificate", "file", p)
		case strings.HasSuffix(name, ".key"):
			if _, err := os.Stat(strings.TrimSuffix(p, ".key") + ".cert"); err != nil {
				return nil, fmt.Errorf("%w: client key %s has no matching .cert file", errdefs.ErrInvalidArgument, p)
			}
		}
	}
	return cfg, nil
}
