package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// ClientID names ferry to OAuth2 token endpoints.
const ClientID = "ferry"

// minTokenLifetime is the lifetime assumed when a token service gives
// none or less (Docker token spec: "expires_in ... defaults to 60").
const minTokenLifetime = 60 * time.Second

// maxTokenLifetime bounds what a token service may claim, so that an
// expires_in of billions of seconds neither overflows nor keeps a token
// cached for ever (a registry refusing it later gets a new one anyway).
const maxTokenLifetime = 24 * time.Hour

// Authenticator turns one registry's credential into Authorization
// headers: Basic, a bearer token given as is, or bearer tokens fetched
// from the token service the registry's challenge names, cached per scope
// set until shortly before they expire. Safe for concurrent use.
type Authenticator struct {
	registry string
	cred     Credential
	client   *http.Client
	ua       string
	log      *slog.Logger

	mu         sync.Mutex
	challenges []Challenge
	tokens     map[string]*tokenEntry
}

type tokenEntry struct {
	mu     sync.Mutex
	token  string
	expiry time.Time
}

// NewAuthenticator prepares auth for registry (its host, used in error
// messages) with cred. client makes token requests; it should trust what
// the registry's client trusts.
func NewAuthenticator(registry string, cred Credential, client *http.Client, userAgent string, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{registry: registry, cred: cred, client: client, ua: userAgent, log: log, tokens: map[string]*tokenEntry{}}
}

// Credential is the credential in use.
func (a *Authenticator) Credential() Credential { return a.cred }

// SetChallenges records the challenges of a 401 answer (the ping's, or a
// later one's), replacing earlier ones.
func (a *Authenticator) SetChallenges(chs []Challenge) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.challenges = chs
}

// Challenged reports whether the registry has asked for auth.
func (a *Authenticator) Challenged() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.challenges) > 0
}

// Authorize sets req's Authorization header for access to scopes, fetching
// a token when the registry uses token auth. Without a challenge it sets
// nothing (anonymous), except a bearer token given as is.
func (a *Authenticator) Authorize(ctx context.Context, req *http.Request, scopes []Scope) error {
	if a.cred.RegistryToken != "" {
		req.Header.Set("Authorization", "Bearer "+a.cred.RegistryToken)
		return nil
	}
	a.mu.Lock()
	chs := a.challenges
	a.mu.Unlock()
	if ch, ok := Find(chs, "bearer"); ok {
		tok, err := a.token(ctx, ch, scopes)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	if _, ok := Find(chs, "basic"); ok && a.cred.Username != "" {
		req.SetBasicAuth(a.cred.Username, a.cred.Password)
	}
	return nil
}

// Invalidate forgets the token cached for scopes, after the registry
// refused it.
func (a *Authenticator) Invalidate(scopes []Scope) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, scopeKey(MergeScopes(scopes)))
}

func (a *Authenticator) token(ctx context.Context, ch Challenge, scopes []Scope) (string, error) {
	scopes = MergeScopes(scopes)
	key := scopeKey(scopes)
	a.mu.Lock()
	e, ok := a.tokens[key]
	if !ok {
		e = &tokenEntry{}
		a.tokens[key] = e
	}
	a.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" && time.Now().Before(e.expiry) {
		return e.token, nil
	}
	tok, lifetime, err := a.fetch(ctx, ch, scopes)
	if err != nil {
		return "", err
	}
	// Renew a little early so a token does not expire in flight.
	e.token, e.expiry = tok, time.Now().Add(lifetime-lifetime/10)
	return tok, nil
}

// tokenResponse is the token service's answer (Docker token spec, "Token
// Response Fields"; OAuth2 uses access_token).
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// fetch asks the token service for a token: the OAuth2 POST form with an
// identity token (Docker's "OAuth2 Token Authentication"), otherwise GET
// realm?service=&scope= with Basic credentials when there are some
// ("Token Authentication Specification").
func (a *Authenticator) fetch(ctx context.Context, ch Challenge, scopes []Scope) (string, time.Duration, error) {
	realm := ch.Params["realm"]
	ru, err := url.Parse(realm)
	if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return "", 0, fmt.Errorf("%w: %s: the registry names no usable token service (realm %q)", errdefs.ErrUnavailable, a.registry, realm)
	}
	service := ch.Params["service"]
	var req *http.Request
	if a.cred.IdentityToken != "" {
		form := url.Values{}
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", a.cred.IdentityToken)
		form.Set("client_id", ClientID)
		form.Set("service", service)
		if len(scopes) > 0 {
			form.Set("scope", scopeKey(scopes))
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, ru.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return "", 0, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		q := ru.Query()
		if service != "" {
			q.Set("service", service)
		}
		for _, s := range scopes {
			q.Add("scope", s.String())
		}
		if a.cred.Username != "" {
			q.Set("account", a.cred.Username)
		}
		ru.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, ru.String(), nil)
		if err != nil {
			return "", 0, err
		}
		if a.cred.Username != "" {
			req.SetBasicAuth(a.cred.Username, a.cred.Password)
		}
	}
	if a.ua != "" {
		req.Header.Set("User-Agent", a.ua)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s: token service %s: %v", errdefs.ErrUnavailable, a.registry, ru.Host, redact(err))
	}
	defer resp.Body.Close()
	// The realm's query may carry the account name: log scheme, host, path.
	a.log.Debug("registry token", "method", req.Method, "url", ru.Scheme+"://"+ru.Host+ru.Path, "scope", scopeKey(scopes), "status", resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		if !a.cred.IsZero() {
			return "", 0, fmt.Errorf("%w: %s: invalid username or password: authentication required", errdefs.ErrUnauthorized, a.registry)
		}
		return "", 0, fmt.Errorf("%w: %s: authentication required", errdefs.ErrUnauthorized, a.registry)
	case resp.StatusCode == http.StatusTooManyRequests:
		return "", 0, fmt.Errorf("%w: %s: token service %s", errdefs.ErrTooManyRequests, a.registry, ru.Host)
	case resp.StatusCode >= 500:
		return "", 0, fmt.Errorf("%w: %s: token service %s answered %s", errdefs.ErrUnavailable, a.registry, ru.Host, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", 0, fmt.Errorf("%s: token service %s answered %s", a.registry, ru.Host, resp.Status)
	}
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return "", 0, fmt.Errorf("%w: %s: token service %s sent an unreadable answer", errdefs.ErrUnavailable, a.registry, ru.Host)
	}
	tok := tr.Token
	if tok == "" {
		tok = tr.AccessToken
	}
	if tok == "" {
		return "", 0, fmt.Errorf("%w: %s: token service %s sent no token", errdefs.ErrUnavailable, a.registry, ru.Host)
	}
	life := minTokenLifetime
	if tr.ExpiresIn > int(minTokenLifetime/time.Second) {
		life = time.Duration(min(tr.ExpiresIn, int(maxTokenLifetime/time.Second))) * time.Second
	}
	return tok, life, nil
}

// redact drops the URL from a transport error: its query may name the
// account.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
