package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// Login checks that the credentials o.Auth gives are accepted by the
// registry server names ("quay.io", "localhost:5000", "quay.io/org" for a
// namespaced login, "docker.io" or Docker's "https://index.docker.io/v1/"),
// as skopeo login does before saving them: GET /v2/ with Basic
// credentials, or with a token the token service issued for them without
// a particular scope. A refusal wraps errdefs.ErrUnauthorized. A registry
// that asks for no auth at all accepts any login, as with skopeo.
func Login(ctx context.Context, server string, o *Options, opts ...Option) error {
	n, err := loginName(server)
	if err != nil {
		return err
	}
	c, err := New(ctx, n, o, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	cred, err := c.credential(ctx)
	if err != nil {
		return err
	}
	if cred.IsZero() {
		return fmt.Errorf("%w: %s: no credentials to log in with", errdefs.ErrInvalidArgument, c.domain)
	}
	resp, err := c.do(ctx, &request{method: http.MethodGet, url: "/v2/"}, http.StatusOK)
	if err != nil {
		return fmt.Errorf("%s: %w", c.domain, err)
	}
	drain(resp)
	return nil
}

// loginName turns a login server into a name New accepts: scheme and a
// "/v1/"-style path dropped, a placeholder repository added to a bare
// host (whose port would otherwise read as a tag).
func loginName(server string) (reference.Named, error) {
	s := server
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		s, _, _ = strings.Cut(rest, "/")
	} else if rest, ok := strings.CutPrefix(s, "http://"); ok {
		s, _, _ = strings.Cut(rest, "/")
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return nil, fmt.Errorf("%w: no registry to log in to", errdefs.ErrInvalidArgument)
	}
	if !strings.Contains(s, "/") {
		s += "/ferry-login"
	}
	n, err := reference.ParseNamed(s, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a registry name", errdefs.ErrInvalidArgument, server)
	}
	if d := reference.Domain(n); !strings.HasPrefix(s, d+"/") && !(d == reference.DockerHubDomain && strings.HasPrefix(s, "index.docker.io/")) {
		return nil, fmt.Errorf("%w: %q is not a registry name (want a host such as quay.io or localhost:5000)", errdefs.ErrInvalidArgument, server)
	}
	return n, nil
}
