package cli

import (
	"log/slog"
	"strings"

	"github.com/spf13/pflag"
)

// skopeo 1.9.3 still accepts a --tls-verify that predates the per-image
// flags: hidden, with a warning, on copy (where it sets both images) and at
// the top level (where it does nothing a subcommand's own flag does not).
// ferry accepts both so old scripts keep working, with skopeo's warnings.

// registerDeprecatedTLSVerify adds copy's hidden --tls-verify.
func registerDeprecatedTLSVerify(fs *pflag.FlagSet) {
	fs.Bool("tls-verify", true, "deprecated: use --src-tls-verify and --dest-tls-verify")
	_ = fs.MarkHidden("tls-verify")
}

// applyDeprecatedTLSVerify gives each image the deprecated --tls-verify
// value unless its own --PREFIX-tls-verify was given, and warns as skopeo
// does.
func applyDeprecatedTLSVerify(fs *pflag.FlagSet, log *slog.Logger, images ...*imageFlags) {
	f := fs.Lookup("tls-verify")
	if f == nil || !f.Changed {
		return
	}
	verify := f.Value.String() == "true"
	var instead []string
	for _, img := range images {
		instead = append(instead, "--"+img.prefix+"tls-verify")
		if !img.set("tls-verify") {
			img.tlsVerify = verify
		}
	}
	log.Warn("'--tls-verify' is deprecated, instead use: " + strings.Join(instead, ", "))
}

// registerGlobalTLSVerify adds the top level's hidden --tls-verify. A
// subcommand with a --tls-verify of its own takes the value instead (the
// flag given before the command name is parsed with the command's flags).
func registerGlobalTLSVerify(fs *pflag.FlagSet) {
	fs.Bool("tls-verify", true, "deprecated: set --tls-verify on the command instead")
	_ = fs.MarkHidden("tls-verify")
}

// warnGlobalTLSVerify warns when the top level's --tls-verify was used.
func warnGlobalTLSVerify(root *pflag.FlagSet, log *slog.Logger) {
	if f := root.Lookup("tls-verify"); f != nil && f.Changed {
		log.Warn("'--tls-verify' is deprecated, please set this on the specific subcommand")
	}
}
