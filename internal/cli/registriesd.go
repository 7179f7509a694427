package cli

import "github.com/ferrytool/ferry/registriesd"

// registriesD is the registries.d configuration every docker:// image of
// the process uses (where signatures live): --registries.d's directory, or
// the directories containers/image searches. It is read when the first
// registry image is opened, so a malformed file fails only the commands
// that reach a registry, as with skopeo.
func (a *app) registriesD() *registriesd.Config {
	if a.sigConfig == nil {
		a.sigConfig = registriesd.Lazy(registriesd.Options{Dir: a.global.registriesD, Logger: a.global.log()})
	}
	return a.sigConfig
}
