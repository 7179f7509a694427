package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/transport"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globalOptions are skopeo's global options.
type globalOptions struct {
	debug           bool
	commandTimeout  time.Duration
	overrideArch    string
	overrideOS      string
	overrideVariant string
	tmpDir          string
	userAgentPrefix string

	// Trust policy (see trustPolicy) and registries.d configuration.
	policyPath     string
	insecurePolicy bool
	registriesD    string
	// registriesConf is --registries-conf (see registriesconf.go).
	registriesConf string
	// policyLocations is where the policy file is looked for when
	// --policy is not given (tests point it at temporary directories).
	policyLocations policy.Locations

	logger *slog.Logger
}

func (g *globalOptions) register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.debug, "debug", false, "enable debug output")
	fs.DurationVar(&g.commandTimeout, "command-timeout", 0, "timeout for the command execution")
	fs.StringVar(&g.overrideArch, "override-arch", "", "use `ARCH` instead of the architecture of the machine for choosing images")
	fs.StringVar(&g.overrideOS, "override-os", "", "use `OS` instead of the running OS for choosing images")
	fs.StringVar(&g.overrideVariant, "override-variant", "", "use `VARIANT` instead of the running architecture variant for choosing images")
	fs.StringVar(&g.tmpDir, "tmpdir", "", "`DIR` to store temporary files in (default: the system's)")
	fs.StringVar(&g.userAgentPrefix, "user-agent-prefix", "", "`PREFIX` to add to the User-Agent sent to registries")
	fs.StringVar(&g.policyPath, "policy", "", "use trust policy at `PATH`")
	fs.BoolVar(&g.insecurePolicy, "insecure-policy", false, "run the tool without any policy check")
	fs.StringVar(&g.registriesD, "registries.d", "", "use registry configuration files in `DIR` (e.g. for container signature storage)")
	fs.StringVar(&g.registriesConf, "registries-conf", "", "use the registries.conf `FILE` (mirrors, blocked and insecure registries) instead of the usual ones")
	registerGlobalTLSVerify(fs)
}

// validate checks the global options and sets up logging: debug level with
// --debug, warnings only otherwise, always to stderr.
func (g *globalOptions) validate(cmd *cobra.Command) error {
	level := slog.LevelWarn
	if g.debug {
		level = slog.LevelDebug
	}
	g.logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	warnGlobalTLSVerify(cmd.Root().PersistentFlags(), g.logger)
	if g.commandTimeout < 0 {
		return usagef(cmd.Root().Name(), "--command-timeout %s: the timeout must not be negative", g.commandTimeout)
	}
	if g.policyPath != "" && g.insecurePolicy {
		return usagef(cmd.Root().Name(), "--policy and --insecure-policy cannot be used together")
	}
	return nil
}

// context applies --command-timeout to ctx.
func (g *globalOptions) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.commandTimeout > 0 {
		return context.WithTimeout(ctx, g.commandTimeout)
	}
	return context.WithCancel(ctx)
}

// platform is what --override-os/-arch/-variant ask for; empty fields are
// filled from the host where an instance is chosen.
func (g *globalOptions) platform() manifest.Platform {
	return manifest.Platform{OS: g.overrideOS, Architecture: g.overrideArch, Variant: g.overrideVariant}
}

// userAgent is sent to registries: ferry's name and version, after the
// --user-agent-prefix if any.
func (g *globalOptions) userAgent() string {
	ua := "ferry/" + versionString()
	if g.userAgentPrefix != "" {
		ua = g.userAgentPrefix + " " + ua
	}
	return ua
}

// transportOptions are the transport.Options every image gets from the
// global options, before its own image flags are applied.
func (g *globalOptions) transportOptions() transport.Options {
	return transport.Options{
		Platform: g.platform(),
		TmpDir:   g.tmpDir,
		Logger:   g.log(),
	}
}

func (g *globalOptions) log() *slog.Logger {
	if g.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.logger
}
