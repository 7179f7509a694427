package cli

import (
	"runtime/debug"
	"strings"
)

// Version is ferry's version, set at build time with
// -ldflags "-X github.com/ferrytool/ferry/internal/cli.Version=v1.2.3".
// When unset it comes from the module's build information, else "dev".
var Version string

// SkopeoVersion is the skopeo release whose commands, flags, output and
// exit codes ferry matches: the differential suite in e2e/ runs it beside
// ferry.
const SkopeoVersion = "1.9.3"

func versionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// versionLine is what --version prints: ferry's own line, or, when ferry
// was installed as skopeo (a symlink or a copy under that name), a line
// scripts parsing "skopeo version X.Y.Z" accept that still says what runs.
func (a *app) versionLine() string {
	if strings.TrimSuffix(a.progName, ".exe") == "skopeo" {
		return "skopeo version " + SkopeoVersion + " (ferry " + versionString() + ", compatible with skopeo " + SkopeoVersion + ")\n"
	}
	return "ferry version {{.Version}}\n"
}
