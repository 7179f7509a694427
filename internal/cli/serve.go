package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/ferrytool/ferry/serve"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	addr            string
	readOnly        bool
	tlsCert, tlsKey string
	htpasswd        string
	maxConnections  int
	shutdownTimeout time.Duration
}

// defaultServeAddr is where `ferry serve` listens: the registry port
// docker and distribution use, on the loopback interface only, so that
// serving a layout never exposes it to the network unless asked to
// (--addr :5000).
const defaultServeAddr = "127.0.0.1:5000"

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [command options] oci:PATH | oci-archive:PATH | docker-archive:PATH",
		Short: "Serve an OCI layout or an image archive as a registry",
		Long: `Serve an OCI layout, an oci-archive or a docker-archive as a registry that
speaks the OCI distribution spec 1.1, so that docker, podman, containerd,
skopeo, crane and ferry pull from it (and, for a layout, push to it).

Repositories are the layout's image names: an image named REPO:TAG
(ferry copy IMAGE oci:PATH:REPO:TAG) is HOST/REPO:TAG; an image named TAG
alone is TAG in every repository. A layout is served read-write (pushes land
in the layout, safely beside a concurrent ferry copy into it) unless
--read-only; archives are served read-only, from the file itself, without
extracting it (uncompressed archives only).

The server stops on SIGINT or SIGTERM, letting requests in progress finish
(up to --shutdown-timeout) and dropping unfinished uploads. Every request is
logged on standard error, one line each:
  REMOTE - USER [TIME] "METHOD URI PROTO" STATUS BYTES MILLISECONDS`,
		Example: `  ferry serve oci:/srv/images
  ferry serve --read-only --addr :5000 oci-archive:/media/usb/images.tar
  ferry serve --read-only docker-archive:nginx.tar   # docker pull 127.0.0.1:5000/nginx:1.27
  ferry serve --tls-cert c.pem --tls-key k.pem --htpasswd users oci:/srv/images`,
		Args: exactArgs(1, "LAYOUT-OR-ARCHIVE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runServe(cmd, &o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", defaultServeAddr, "listen on `HOST:PORT` (:5000 for every interface; port 0 picks a free one)")
	fs.BoolVar(&o.readOnly, "read-only", false, "refuse pushes and deletes (archives are always read-only)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with the certificate chain in `FILE` (PEM; with --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the private key of --tls-cert, in `FILE` (PEM)")
	fs.StringVar(&o.htpasswd, "htpasswd", "", "require HTTP basic authentication by the users of `FILE` (bcrypt entries, htpasswd -B)")
	fs.IntVar(&o.maxConnections, "max-connections", 256, "accept at most `N` connections at once; more wait")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT or SIGTERM, let requests in progress run this `DURATION` before cutting them")
	return cmd
}

func (a *app) runServe(cmd *cobra.Command, o *serveOptions, name string) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef(cmd.CommandPath(), "--tls-cert and --tls-key go together")
	}
	if o.maxConnections < 1 {
		return usagef(cmd.CommandPath(), "--max-connections %d: at least one connection is needed", o.maxConnections)
	}
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var users *serve.Htpasswd
	if o.htpasswd != "" {
		f, err := os.Open(o.htpasswd)
		if err != nil {
			return fmt.Errorf("--htpasswd: %w", err)
		}
		users, err = serve.ParseHtpasswd(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--htpasswd %s: %w", o.htpasswd, err)
		}
	}
	ctx := cmd.Context()
	reg, err := serve.Open(ctx, name, serve.Options{ReadOnly: o.readOnly, Log: a.global.log()})
	if err != nil {
		return err
	}
	defer reg.Close()
	var h http.Handler = reg
	if users != nil {
		h = serve.BasicAuth(h, users, "ferry")
	}
	h = serve.AccessLog(h, accessLogger(a.stderr))
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", o.addr, err)
	}
	ln = limitListener(ln, o.maxConnections)
	srv := &http.Server{Handler: h, TLSConfig: tlsConfig, ReadHeaderTimeout: 30 * time.Second, ErrorLog: nil}
	scheme, mode := "http", "read-write"
	if tlsConfig != nil {
		scheme = "https"
	}
	if reg.ReadOnly() {
		mode = "read-only"
	}
	fmt.Fprintf(a.stderr, "ferry serve: serving %s at %s://%s (%s)\n", name, scheme, ln.Addr(), mode)
	return runServer(ctx, srv, ln, o.shutdownTimeout, a.stderr)
}

// runServer serves until ctx is done, then shuts down: requests in
// progress get timeout to finish, after which their connections are cut.
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, stderr io.Writer) error {
	done := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			done <- srv.ServeTLS(ln, "", "")
			return
		}
		done <- srv.Serve(ln)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "ferry serve: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// accessLogger writes one line per request, in the Common Log Format
// followed by the time taken in milliseconds: a format log tools read.
func accessLogger(w io.Writer) func(serve.Access) {
	var mu sync.Mutex
	return func(x serve.Access) {
		user := x.User
		if user == "" {
			user = "-"
		}
		host, _, err := net.SplitHostPort(x.Remote)
		if err != nil {
			host = x.Remote
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s - %s [%s] %q %d %d %d\n", host, user, x.Time.Format("02/Jan/2006:15:04:05 -0700"),
			x.Method+" "+x.URI+" "+x.Proto, x.Status, x.Bytes, x.Duration.Milliseconds())
	}
}
