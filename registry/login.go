package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
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

// loginName turns a login server (see auth.ParseKey: a host, a URL of
// one, a namespace) into a name New accepts: a placeholder repository
// added to a bare host, whose port would otherwise read as a tag.
func loginName(server string) (reference.Named, error) {
	key, _, err := auth.ParseKey(server)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(key, "/") {
		key += "/ferry-login"
	}
	return reference.ParseNamed(key, false)
}
