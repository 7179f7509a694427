package docker

import (
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/hints"
	"github.com/ferrytool/ferry/transport"
)

// clientOptions are the registry client options every source and
// destination shares: the hint record of o (where blobs were seen, what
// request sizes get through), unless o turns it off.
func clientOptions(o *transport.Options) []registry.Option {
	if o == nil || o.NoRegistryHints {
		return nil
	}
	return []registry.Option{registry.WithHints(hints.Open(o.RegistryHints, o.Log()))}
}
