package cli

import (
	"errors"
	"io"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// imageFlagCase is the part of transport.Options the image flags decide.
type imageFlagCase struct {
	Auth       auth.Settings
	Insecure   bool
	CertDir    string
	DaemonHost string
}

func TestImageFlags(t *testing.T) {
	t.Setenv("REGISTRY_AUTH_FILE", "")
	for _, tc := range []struct {
		name   string
		prefix string
		args   []string
		tty    bool
		want   imageFlagCase
		err    error
	}{
		{name: "defaults", want: imageFlagCase{}},
		{name: "creds", args: []string{"--creds", "alice:s3cret"}, want: imageFlagCase{Auth: auth.Settings{Username: "alice", Password: "s3cret"}}},
		{name: "creds password with colons", args: []string{"--creds", "alice:a:b:c"}, want: imageFlagCase{Auth: auth.Settings{Username: "alice", Password: "a:b:c"}}},
		{name: "creds empty password", args: []string{"--creds", "alice:"}, want: imageFlagCase{Auth: auth.Settings{Username: "alice"}}},
		{name: "creds prompt on a terminal", args: []string{"--creds", "alice"}, tty: true, want: imageFlagCase{Auth: auth.Settings{Username: "alice", Password: "typed"}}},
		{name: "creds without password and no terminal", args: []string{"--creds", "alice"}, err: errdefs.ErrInvalidArgument},
		{name: "creds empty username", args: []string{"--creds", ":pw"}, err: errdefs.ErrInvalidArgument},
		{name: "creds empty", args: []string{"--creds", ""}, err: errdefs.ErrInvalidArgument},
		{name: "username and password", args: []string{"--username", "bob", "--password", "pw"}, want: imageFlagCase{Auth: auth.Settings{Username: "bob", Password: "pw"}}},
		{name: "username alone", args: []string{"--username", "bob"}, err: errdefs.ErrInvalidArgument},
		{name: "password alone", args: []string{"--password", "pw"}, err: errdefs.ErrInvalidArgument},
		{name: "creds and username", args: []string{"--creds", "a:b", "--username", "bob", "--password", "pw"}, err: errdefs.ErrInvalidArgument},
		{name: "no-creds", args: []string{"--no-creds"}, want: imageFlagCase{Auth: auth.Settings{NoCreds: true}}},
		{name: "no-creds and creds", args: []string{"--no-creds", "--creds", "a:b"}, err: errdefs.ErrInvalidArgument},
		{name: "no-creds and registry-token", args: []string{"--no-creds", "--registry-token", "tok"}, err: errdefs.ErrInvalidArgument},
		{name: "registry-token", args: []string{"--registry-token", "tok"}, want: imageFlagCase{Auth: auth.Settings{BearerToken: "tok"}}},
		{name: "tls-verify=false", args: []string{"--tls-verify=false"}, want: imageFlagCase{Insecure: true}},
		{name: "tls-verify", args: []string{"--tls-verify"}, want: imageFlagCase{}},
		{name: "tls-verify=true", args: []string{"--tls-verify=true"}, want: imageFlagCase{}},
		{name: "cert-dir and daemon-host", args: []string{"--cert-dir", "/certs", "--daemon-host", "unix:///d.sock"}, want: imageFlagCase{CertDir: "/certs", DaemonHost: "unix:///d.sock"}},
		{name: "authfile", args: []string{"--authfile", "/auth.json"}, want: imageFlagCase{Auth: auth.Settings{AuthFile: "/auth.json"}}},
		{name: "src prefix", prefix: "src-", args: []string{"--src-creds", "a:b", "--src-tls-verify=false"}, want: imageFlagCase{Auth: auth.Settings{Username: "a", Password: "b"}, Insecure: true}},
		{name: "shared authfile applies", prefix: "dest-", args: []string{"--authfile", "/shared.json"}, want: imageFlagCase{Auth: auth.Settings{AuthFile: "/shared.json"}}},
		{name: "own authfile wins", prefix: "dest-", args: []string{"--authfile", "/shared.json", "--dest-authfile", "/own.json"}, want: imageFlagCase{Auth: auth.Settings{AuthFile: "/own.json"}}},
		{name: "prefixed flags are independent", prefix: "dest-", args: []string{"--src-creds", "a:b", "--dest-no-creds"}, want: imageFlagCase{Auth: auth.Settings{NoCreds: true}}},
		{name: "prefixed conflict", prefix: "dest-", args: []string{"--dest-creds", "a:b", "--dest-username", "u", "--dest-password", "p"}, err: errdefs.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var shared sharedImageFlags
			shared.register(fs)
			f := registerImageFlags(fs, tc.prefix, imageFlagSet{daemonHost: true, sharedBlobDir: true})
			if tc.prefix != "" {
				other := "src-"
				if tc.prefix == other {
					other = "dest-"
				}
				registerImageFlags(fs, other, imageFlagSet{daemonHost: true, sharedBlobDir: true})
			}
			if err := fs.Parse(tc.args); err != nil {
				t.Fatalf("parse %v: %v", tc.args, err)
			}
			a := newApp(io.Discard, io.Discard)
			a.isTerminal = func(int) bool { return tc.tty }
			a.readPassword = func(int) ([]byte, error) { return []byte("typed"), nil }
			img, err := a.imageOptions(f, shared.authFile)
			if !errors.Is(err, tc.err) {
				t.Fatalf("imageOptions(%v) error = %v, want %v", tc.args, err, tc.err)
			}
			if err != nil {
				return
			}
			d := img.config.Docker
			got := imageFlagCase{Auth: d.Auth, Insecure: d.Insecure, CertDir: d.CertDir, DaemonHost: img.config.Daemon.Host}
			if d.Pool == nil || d.Pool != a.registryPool() {
				t.Error("the image's docker config does not use the process's registry pool")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("imageOptions(%v) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestGlobalOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string
		platform manifest.Platform
		tmp, ua  string
	}{
		{"defaults", nil, manifest.Platform{}, "", "ferry/" + versionString()},
		{"overrides", []string{"--override-os", "linux", "--override-arch", "arm", "--override-variant", "v6", "--tmpdir", "/var/tmp"},
			manifest.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, "/var/tmp", "ferry/" + versionString()},
		{"user agent prefix", []string{"--user-agent-prefix", "mirror-bot/2"}, manifest.Platform{}, "", "mirror-bot/2 ferry/" + versionString()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g globalOptions
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			g.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			o := g.transportOptions()
			if o.Platform != tc.platform || o.TmpDir != tc.tmp || g.userAgent() != tc.ua {
				t.Errorf("transportOptions = platform %v, tmpdir %q, user agent %q; want %v, %q, %q", o.Platform, o.TmpDir, g.userAgent(), tc.platform, tc.tmp, tc.ua)
			}
		})
	}
}
