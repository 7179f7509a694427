package testregistry

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
)

const (
	tokenIssuer  = "ferry-testregistry-issuer"
	tokenService = "ferry-testregistry"
	// RefreshToken is the OAuth2 refresh token the token server accepts
	// (from the registry's Basic credentials' user) on POST, as an
	// identity token stored by a login would be.
	RefreshToken = "ferry-testregistry-refresh-token"
)

// TokenRequest is one request the token server answered.
type TokenRequest struct {
	Method  string
	Scopes  []string
	Service string
	// Authenticated: valid credentials came with it.
	Authenticated bool
	// Status is what the token server answered.
	Status int
}

// tokenServer implements Docker's token authentication specification
// ("Docker Registry v2 authentication via central service"): GET
// realm?service=&scope= with optional Basic credentials, and the OAuth2
// POST form (grant_type=password or refresh_token). Tokens are ES256 JWTs
// whose "kid" is the JWK thumbprint of a key the registry trusts through
// its rootcertbundle.
type tokenServer struct {
	key   *ecdsa.PrivateKey
	kid   string
	creds *Creds
	ttl   time.Duration

	mu   sync.Mutex
	reqs []TokenRequest
}

func newTokenServer(t testing.TB, creds *Creds) (*tokenServer, string) {
	t.Helper()
	key := mustKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: tokenIssuer},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testregistry: token signing certificate: %v", err)
	}
	bundle := filepath.Join(t.TempDir(), "token-root.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	return &tokenServer{key: key, kid: token.GetJWKThumbprint(&key.PublicKey), creds: creds, ttl: 5 * time.Minute}, bundle
}

func (ts *tokenServer) requests() []TokenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]TokenRequest(nil), ts.reqs...)
}

func (ts *tokenServer) record(tr TokenRequest) {
	ts.mu.Lock()
	ts.reqs = append(ts.reqs, tr)
	ts.mu.Unlock()
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tr := TokenRequest{Method: r.Method}
	var user, refresh string
	authed := false
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		tr.Service, tr.Scopes = q.Get("service"), q["scope"]
		if u, p, ok := r.BasicAuth(); ok {
			if ts.creds == nil || u != ts.creds.Username || p != ts.creds.Password {
				ts.deny(w, tr)
				return
			}
			user, authed = u, true
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		tr.Service = r.PostForm.Get("service")
		tr.Scopes = strings.Fields(r.PostForm.Get("scope"))
		switch r.PostForm.Get("grant_type") {
		case "password":
			u, p := r.PostForm.Get("username"), r.PostForm.Get("password")
			if ts.creds == nil || u != ts.creds.Username || p != ts.creds.Password {
				ts.deny(w, tr)
				return
			}
			user, authed, refresh = u, true, RefreshToken
		case "refresh_token":
			if ts.creds == nil || r.PostForm.Get("refresh_token") != RefreshToken {
				ts.deny(w, tr)
				return
			}
			user, authed, refresh = ts.creds.Username, true, RefreshToken
		default:
			http.Error(w, "unsupported grant_type", http.StatusBadRequest)
			return
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	tr.Authenticated = authed
	if ts.creds != nil && !authed {
		// Anonymous callers get a token that grants nothing, as Docker
		// Hub does for a private repository.
		tr.Scopes = nil
	}
	jwt, err := ts.mint(user, tr.Service, tr.Scopes)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	tr.Status = http.StatusOK
	ts.record(tr)
	resp := map[string]any{"token": jwt, "access_token": jwt, "expires_in": int(ts.ttl / time.Second), "issued_at": time.Now().UTC().Format(time.RFC3339)}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (ts *tokenServer) deny(w http.ResponseWriter, tr TokenRequest) {
	tr.Status = http.StatusUnauthorized
	ts.record(tr)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}`))
}

// mint signs a JWT granting every action the scopes ask for
// ("repository:NAME:pull,push").
func (ts *tokenServer) mint(subject, service string, scopes []string) (string, error) {
	type access struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	grants := []access{}
	for _, s := range scopes {
		for _, one := range strings.Fields(s) {
			parts := strings.Split(one, ":")
			if len(parts) < 3 {
				continue
			}
			name := strings.Join(parts[1:len(parts)-1], ":")
			grants = append(grants, access{Type: parts[0], Name: name, Actions: strings.Split(parts[len(parts)-1], ",")})
		}
	}
	now := time.Now()
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	claims := map[string]any{
		"iss": tokenIssuer, "sub": subject, "aud": service,
		"exp": now.Add(ts.ttl).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprintf("%x", jti), "access": grants,
	}
	header := map[string]string{"typ": "JWT", "alg": "ES256", "kid": ts.kid}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}
