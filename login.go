package ferry

import (
	"context"

	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

// Logins are kept where skopeo, podman and buildah keep them: the file
// WithAuthFile (or WithDockerAuthFile) names, else $REGISTRY_AUTH_FILE,
// else $DOCKER_CONFIG/config.json when $DOCKER_CONFIG is set, else
// $XDG_RUNTIME_DIR/containers/auth.json. A credential helper the file
// names for the registry (credHelpers, Docker's credsStore) keeps the
// secret instead of the file. A login is for a registry host
// ("quay.io", "localhost:5000"), or for a namespace or repository in one
// ("quay.io/team/app"), which then has credentials of its own.

// LoginRegistry reads a login's registry as skopeo login does: a host, a
// URL of one (only its host counts) or a namespace or repository in one.
// It returns the key the login is stored under ("quay.io/team/app",
// "docker.io") and the registry host. An image's tag or digest is an
// error matching ErrInvalidName.
func LoginRegistry(name string) (key, host string, err error) {
	return auth.ParseKey(name)
}

// CheckLogin checks that the registry (see LoginRegistry) accepts
// username and password, storing nothing; a refusal matches
// ErrUnauthorized. The registry is reached with the TLS settings of the
// options (WithInsecure, WithCertDir) and of the client's registries.conf
// (WithRegistriesConf: a registry it marks insecure is reached over plain
// HTTP, one it blocks is refused, as skopeo login does), with no registry
// session of the client's: the check is a fresh login.
func (c *Client) CheckLogin(ctx context.Context, reg, username, password string, opts ...Option) error {
	s, err := c.settings(opts)
	if err != nil {
		return err
	}
	key, host, err := LoginRegistry(reg)
	if err != nil {
		return err
	}
	return registry.Login(ctx, key, &registry.Options{
		Auth:       auth.Settings{Username: username, Password: password},
		Insecure:   s.src.insecureFor(normalHost(host)),
		CertDir:    s.src.certDir,
		UserAgent:  s.userAgent,
		Registries: c.registries,
		Logger:     s.logger,
	})
}

// Login checks that the registry accepts username and password
// (CheckLogin), then stores them (SaveLogin) for later operations of any
// client and of skopeo, podman and buildah. It returns where the secret
// went. Nothing is stored when the registry refuses.
func (c *Client) Login(ctx context.Context, reg, username, password string, opts ...Option) (string, error) {
	if err := c.CheckLogin(ctx, reg, username, password, opts...); err != nil {
		return "", err
	}
	return c.SaveLogin(ctx, reg, username, password, opts...)
}

// SaveLogin stores username and password for the registry without
// checking them, and returns where the secret went: the file's path, or
// "docker-credential-NAME" for a credential helper.
func (c *Client) SaveLogin(ctx context.Context, reg, username, password string, opts ...Option) (string, error) {
	s, store, key, err := c.loginStore(reg, opts)
	if err != nil {
		return "", err
	}
	s.log().Debug("storing login", "key", key, "file", store.File())
	return store.Save(ctx, key, username, password)
}

// StoredLogin is a login found for a registry.
type StoredLogin struct {
	// Username and Password are the stored user name and password; both
	// empty when no login is stored.
	Username, Password string
	// IdentityToken is set when the login is an OAuth2 refresh token
	// rather than a password.
	IdentityToken bool
	// From is where it was found: a file's path, or
	// "docker-credential-NAME".
	From string
}

// StoredLogin finds the login stored for the registry (see
// LoginRegistry) as operations on its images would: in WithAuthFile's
// file alone when one is named, else along the whole lookup chain,
// credential helpers included.
func (c *Client) StoredLogin(ctx context.Context, reg string, opts ...Option) (*StoredLogin, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, err
	}
	key, _, err := LoginRegistry(reg)
	if err != nil {
		return nil, err
	}
	cr, from, err := auth.Stored(ctx, s.src.authFile, key, s.log())
	if err != nil {
		return nil, err
	}
	return &StoredLogin{Username: cr.Username, Password: cr.Password, IdentityToken: cr.IdentityToken != "", From: from}, nil
}

// LoginFile is the file Login writes and Logout edits with opts.
func (c *Client) LoginFile(opts ...Option) (string, error) {
	_, store, _, err := c.loginStore("", opts)
	return store.File(), err
}

// Logout removes the login stored for the registry (see LoginRegistry)
// from the file Login writes, and from the credential helper that keeps
// its secret. No login there is an error matching ErrNotFound.
func (c *Client) Logout(ctx context.Context, reg string, opts ...Option) error {
	_, store, key, err := c.loginStore(reg, opts)
	if err != nil {
		return err
	}
	return store.Remove(ctx, key)
}

// LogoutAll removes every login of the file Login writes.
func (c *Client) LogoutAll(ctx context.Context, opts ...Option) error {
	_, store, _, err := c.loginStore("", opts)
	if err != nil {
		return err
	}
	return store.RemoveAll(ctx)
}

// loginStore is the settings with opts, the store of logins they name
// and reg's key ("" for no registry).
func (c *Client) loginStore(reg string, opts []Option) (*settings, auth.Store, string, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, auth.Store{}, "", err
	}
	var key string
	if reg != "" {
		if key, _, err = LoginRegistry(reg); err != nil {
			return nil, auth.Store{}, "", err
		}
	}
	return s, auth.Store{Path: s.src.authFile, Docker: s.src.dockerAuth, Logger: s.logger}, key, nil
}
