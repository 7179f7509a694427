package registry

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// ownURL reports whether raw is on the registry that base names (same host
// and port, and no downgrade from https to http): only there does a
// request carry the registry's credentials. An upload Location, a
// redirect or a blob URL on another host gets none, as in distribution's
// own client, whose authorizer adds credentials only for a host whose
// challenge it holds.
func ownURL(base, raw string) bool {
	b, err1 := url.Parse(base)
	u, err2 := url.Parse(raw)
	if err1 != nil || err2 != nil {
		return false
	}
	if b.Scheme == "https" && u.Scheme != "https" {
		return false
	}
	return hostPort(b) == hostPort(u)
}

// hostPort is u's host and port, the port filled in from the scheme, in
// lower case: https://h and https://H:443 are one origin.
func hostPort(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

// foreignAuthError is the refusal of a request that another host wants
// credentials for: the registry's own are not sent there.
func (c *Client) foreignAuthError(method string, u *url.URL) error {
	return fmt.Errorf("%w: the registry %s sent the %s request on to another host, %s, which asks for credentials; "+
		"ferry sends the credentials for %s to no other host",
		errdefs.ErrUnauthorized, c.domain, method, u.Scheme+"://"+u.Host, c.domain)
}
