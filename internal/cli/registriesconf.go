package cli

import "github.com/ferrytool/ferry/registriesconf"

// registriesConf is the registries.conf configuration every docker://
// image of the process uses (mirrors, location rewrites, blocked and
// insecure registries): --registries-conf's file, or the files
// containers/image reads. It is read when the first registry image is
// opened, so a malformed file fails only the commands that reach a
// registry; with --debug, which file each setting came from is logged
// then.
func (a *app) registriesConf() *registriesconf.Config {
	if a.regConf == nil {
		a.regConf = registriesconf.Lazy(registriesconf.Options{Path: a.global.registriesConf, Logger: a.global.log()})
	}
	return a.regConf
}
