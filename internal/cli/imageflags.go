package cli

import (
	"os"

	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transports"
	"github.com/spf13/pflag"
)

// sharedImageFlags holds --authfile, which copy applies to both images
// (each can override it with --src-authfile / --dest-authfile).
type sharedImageFlags struct {
	authFile string
}

func (s *sharedImageFlags) register(fs *pflag.FlagSet) {
	// skopeo takes the default from $REGISTRY_AUTH_FILE.
	fs.StringVar(&s.authFile, "authfile", os.Getenv("REGISTRY_AUTH_FILE"),
		"path of the authentication file (default: $REGISTRY_AUTH_FILE, then ${XDG_RUNTIME_DIR}/containers/auth.json, then ~/.docker/config.json)")
}

// imageFlags are skopeo's per-image options. Single-image commands
// register them without a prefix (--creds, --tls-verify); copy registers
// two sets, "src-" and "dest-" (--src-creds, --dest-tls-verify).
type imageFlags struct {
	prefix     string
	credsAlias string // skopeo's hidden alias of --src-creds/--dest-creds on copy
	fs         *pflag.FlagSet

	authFile      string // only with a prefix: --src-authfile, --dest-authfile
	creds         string
	username      string
	password      string
	registryToken string
	noCreds       bool
	certDir       string
	tlsVerify     bool
	daemonHost    string
	sharedBlobDir string
}

// imageFlagSet says which optional flags a command takes.
type imageFlagSet struct {
	daemonHost    bool // --daemon-host (docker-daemon:)
	sharedBlobDir bool // --shared-blob-dir (oci:)
	// credsAlias is a hidden second name of the creds flag: skopeo's
	// --screds and --dcreds on copy, kept for old scripts.
	credsAlias string
}

func registerImageFlags(fs *pflag.FlagSet, prefix string, which imageFlagSet) *imageFlags {
	f := &imageFlags{prefix: prefix, credsAlias: which.credsAlias, fs: fs}
	if prefix != "" {
		fs.StringVar(&f.authFile, prefix+"authfile", "", "path of the authentication file (default: --authfile)")
	}
	fs.StringVar(&f.creds, prefix+"creds", "", "use `USERNAME[:PASSWORD]` for accessing the registry (asks for the password on a terminal when it is left out)")
	if which.credsAlias != "" {
		fs.StringVar(&f.creds, which.credsAlias, "", "same as --"+prefix+"creds")
		_ = fs.MarkHidden(which.credsAlias)
	}
	fs.StringVar(&f.username, prefix+"username", "", "`USERNAME` for accessing the registry")
	fs.StringVar(&f.password, prefix+"password", "", "`PASSWORD` for accessing the registry")
	fs.StringVar(&f.registryToken, prefix+"registry-token", "", "provide a Bearer `TOKEN` for accessing the registry")
	fs.BoolVar(&f.noCreds, prefix+"no-creds", false, "access the registry anonymously")
	fs.StringVar(&f.certDir, prefix+"cert-dir", "", "use certificates at `PATH` (*.crt, *.cert, *.key) to connect to the registry or daemon")
	fs.BoolVar(&f.tlsVerify, prefix+"tls-verify", true, "require HTTPS and verify certificates when talking to the container registry or daemon")
	if which.daemonHost {
		fs.StringVar(&f.daemonHost, prefix+"daemon-host", "", "use docker daemon host at `HOST` (docker-daemon: only)")
	}
	if which.sharedBlobDir {
		fs.StringVar(&f.sharedBlobDir, prefix+"shared-blob-dir", "", "`DIRECTORY` to use to share blobs across OCI repositories")
	}
	return f
}

func (f *imageFlags) set(name string) bool {
	if name == "creds" && f.credsAlias != "" && f.fs.Changed(f.credsAlias) {
		return true
	}
	return f.fs.Changed(f.prefix + name)
}

// imageSetup is what one image's flags decide: the configuration of the
// transports that parse its name (credentials, TLS, daemon host; registry
// sessions from the process's pool) and the options it is opened with.
// frontdoor.go turns it into package ferry's options.
type imageSetup struct {
	config transports.Config
	opts   transport.Options
}

// imageOptions turns the flags into an imageSetup on top of the global
// options. sharedAuthFile is the --authfile value, used unless this image
// has its own (--src-authfile, --dest-authfile).
func (a *app) imageOptions(f *imageFlags, sharedAuthFile string) (imageSetup, error) {
	creds, err := a.credentials(f)
	if err != nil {
		return imageSetup{}, err
	}
	creds.AuthFile = sharedAuthFile
	if f.authFile != "" {
		creds.AuthFile = f.authFile
	}
	s := imageSetup{opts: a.global.transportOptions()}
	s.config.Docker = docker.Config{
		Auth: creds, Insecure: !f.tlsVerify, CertDir: f.certDir,
		UserAgent: a.global.userAgent(), Pool: a.registryPool(),
		RegistriesD: a.registriesD(), Registries: a.registriesConf(),
	}
	s.config.Daemon.Host = f.daemonHost
	s.opts.Stdin, s.opts.Stdout = a.stdin, a.stdout // archives named "-"
	s.config.Layout.SharedBlobDir = f.sharedBlobDir
	return s, nil
}
