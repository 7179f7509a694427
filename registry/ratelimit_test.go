package registry_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
)

// TestRateLimitLogged: Docker Hub's RateLimit-* headers (added by a
// wrapper; the in-process registry sends none) reach the debug log.
func TestRateLimitLogged(t *testing.T) {
	t.Parallel()
	hub := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("RateLimit-Limit", "100;w=21600")
			w.Header().Set("RateLimit-Remaining", "76;w=21600")
			w.Header().Set("Docker-RateLimit-Source", "203.0.113.7")
			h.ServeHTTP(w, r)
		})
	}
	reg := testregistry.New(t, testregistry.Options{Wrap: hub})
	reg.Push(t, "app", "1", testimage.New(testimage.Options{}))
	logs := &logBuffer{}
	c := newClient(t, reg, "app", &registry.Options{Logger: logs.logger()})
	if _, _, _, err := c.GetManifest(context.Background(), "app", "1"); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	for _, want := range []string{"registry rate limit", `limit="100;w=21600"`, `remaining="76;w=21600"`, "source=203.0.113.7"} {
		if !strings.Contains(got, want) {
			t.Errorf("debug log lacks %q:\n%s", want, got)
		}
	}
}
