package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	basic := testregistry.New(t, testregistry.Options{Basic: alice})
	token := testregistry.New(t, testregistry.Options{Token: true, Basic: alice})
	open := testregistry.New(t, testregistry.Options{})
	right := auth.Settings{Username: alice.Username, Password: alice.Password}
	wrong := auth.Settings{Username: alice.Username, Password: "nope"}
	tests := []struct {
		name   string
		server string
		auth   auth.Settings
		want   error
	}{
		{"basic", basic.Host(), right, nil},
		{"basic-namespace", basic.Host() + "/team", right, nil},
		{"basic-url", "http://" + basic.Host() + "/v1/", right, nil},
		{"basic-wrong", basic.Host(), wrong, errdefs.ErrUnauthorized},
		{"token", token.Host(), right, nil},
		{"token-wrong", token.Host(), wrong, errdefs.ErrUnauthorized},
		{"open-registry", open.Host(), right, nil},
		{"no-credentials", basic.Host(), auth.Settings{NoCreds: true}, errdefs.ErrInvalidArgument},
		{"not-a-host", "nginx", right, errdefs.ErrInvalidArgument},
		{"empty", "", right, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := registry.Login(context.Background(), tt.server, &registry.Options{Insecure: true, Auth: tt.auth})
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Login(%q): got %v, want %v", tt.server, err, tt.want)
			}
		})
	}
}
