package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// answerWith is an http.RoundTripper that answers every request with one
// status and body, standing in for a token service (no network).
type answerWith struct {
	status int
	body   string
}

func (a answerWith) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Status: strconv.Itoa(a.status) + " X", Request: r,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

// FuzzTokenResponse feeds a token service's answers (any status, any
// body) to the token fetch: no panic; a token that is not empty with a
// lifetime of at least the minimum, or an error of the vocabulary that
// does not repeat the password sent.
func FuzzTokenResponse(f *testing.F) {
	f.Add(200, `{"token":"abc","expires_in":300}`)
	f.Add(200, `{"access_token":"abc","expires_in":-5}`)
	f.Add(200, `{"token":"","expires_in":9223372036854775807}`)
	f.Add(200, `{"token":"t","expires_in":9223372037}`)
	f.Add(401, `s3cret-pass`)
	f.Add(500, `{}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			return
		}
		a := NewAuthenticator("r.example", Credential{Username: "alice", Password: "s3cret-pass"},
			&http.Client{Transport: answerWith{status, body}}, "ferry-test", slog.New(slog.DiscardHandler))
		ch := Challenge{Scheme: "bearer", Params: map[string]string{"realm": "https://auth.example/token", "service": "r.example"}}
		tok, life, err := a.fetch(context.Background(), ch, []Scope{Repository("app", ActionPull)})
		if err != nil {
			if strings.Contains(err.Error(), "s3cret-pass") {
				t.Fatalf("the error repeats the password: %v", err)
			}
			if status == http.StatusOK && !errors.Is(err, errdefs.ErrUnavailable) {
				t.Fatalf("a 200 with body %q: %v does not wrap ErrUnavailable", body, err)
			}
			return
		}
		if tok == "" || life < minTokenLifetime || life > maxTokenLifetime {
			t.Fatalf("body %q: token %q, lifetime %v", body, tok, life)
		}
	})
}
