package dockerarchive

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// checkLoadable refuses, before anything is written, a name that docker
// load would refuse after the whole archive was written. Docker reads a
// first component without "." or ":" (other than localhost) as part of the
// repository path, which must be lowercase: "MyHost/app:1" is rejected
// there, while ferry's parser takes MyHost as a registry host.
func checkLoadable(tags []reference.Named) error {
	for _, n := range tags {
		d := reference.Domain(n)
		if strings.ContainsAny(d, ".:") || d == "localhost" || d == strings.ToLower(d) {
			continue
		}
		return fmt.Errorf("%w: %q: docker load would refuse this name: a repository name must be lowercase (%q has no \".\" or \":\", so Docker does not read it as a registry host)", errdefs.ErrInvalidReference, reference.Familiar(n), d)
	}
	return nil
}
