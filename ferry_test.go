package ferry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrytool/ferry"
)

// TestScopes checks that Source and Destination confine options to their
// side, and that credentials go to the host they name and no other: a
// copy between two repositories of the private registry needs credentials
// on both sides.
func TestScopes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := "docker://" + privateHost + "/team/app:v1"
	creds := ferry.WithCredentials(privateHost, "ci", "s3cret")
	for i, tc := range []struct {
		name string
		opts []ferry.Option
		want error
	}{
		{"source only", []ferry.Option{ferry.Source(creds)}, ferry.ErrUnauthorized},
		{"destination only", []ferry.Option{ferry.Destination(creds)}, ferry.ErrUnauthorized},
		{"another host's", []ferry.Option{ferry.WithCredentials("registry.example.com", "ci", "s3cret")}, ferry.ErrUnauthorized},
		{"both sides", []ferry.Option{ferry.Source(creds), ferry.Destination(creds)}, nil},
		{"unscoped", []ferry.Option{creds}, nil},
		{"any host", []ferry.Option{ferry.WithCredentials("", "ci", "s3cret")}, nil},
		// The destination, not allowed plain HTTP, is reached over HTTPS only.
		{"TLS of the source only", []ferry.Option{creds, ferry.Source(ferry.WithInsecure(privateHost))}, errHTTPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			if tc.name != "TLS of the source only" {
				opts = append(opts, ferry.WithInsecure(privateHost))
			}
			dst := "docker://" + privateHost + fmt.Sprintf("/team/copy%d:v1", i)
			_, err := ferry.Copy(ctx, src, dst, opts...)
			if tc.want == errHTTPS && err != nil && strings.Contains(err.Error(), "GET https://"+privateHost) {
				return
			}
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Copy error = %v, want %v", err, tc.want)
			}
		})
	}
}

// errHTTPS stands for the failure of an HTTPS request to a plain-HTTP
// registry, which wraps no sentinel.
var errHTTPS = errors.New("HTTPS to a plain-HTTP registry")

// TestOptionMisuse checks the refusals of options given where they make
// no sense: each is an ErrInvalidArgument before anything is reached.
func TestOptionMisuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := ferry.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []ferry.Option
	}{
		{"call option inside a side", []ferry.Option{ferry.Source(ferry.WithAllPlatforms())}},
		{"side inside a side", []ferry.Option{ferry.Source(ferry.Destination(ferry.WithInsecure()))}},
		{"client option per call", []ferry.Option{ferry.WithoutRegistryHints()}},
		{"anonymous with credentials", []ferry.Option{ferry.WithAnonymous(), ferry.WithCredentials("", "u", "p")}},
		{"empty user name", []ferry.Option{ferry.WithCredentials("", "", "p")}},
		{"negative concurrency", []ferry.Option{ferry.WithConcurrency(-1)}},
		{"no platform", []ferry.Option{ferry.WithPlatforms()}},
	} {
		_, err := c.Copy(ctx, "oci:/nonexistent:a", "oci:/nonexistent:b", tc.opts...)
		if !errors.Is(err, ferry.ErrInvalidArgument) {
			t.Errorf("%s: Copy error = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Inspect(ctx, "oci:/nonexistent:a"); !errors.Is(err, ferry.ErrInvalidArgument) {
		t.Errorf("Inspect on a closed client: error = %v, want ErrInvalidArgument", err)
	}
}

// TestErrorsMatch checks the published sentinels against errors from the
// layers below: a missing image, a refusal by policy (which is also a
// denial), a name without transport, an operation a transport lacks.
func TestErrorsMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	insecure := ferry.WithInsecure(registryHost)
	if _, err := ferry.Inspect(ctx, "docker://"+registryHost+"/library/alpine:9", insecure); !errors.Is(err, ferry.ErrNotFound) {
		t.Errorf("missing tag: %v, want ErrNotFound", err)
	}
	if !errors.Is(ferry.ErrRejected, ferry.ErrDenied) {
		t.Error("ErrRejected does not match ErrDenied")
	}
	if _, err := ferry.ListTags(ctx, "oci:"+t.TempDir()); !errors.Is(err, ferry.ErrUnsupported) {
		t.Errorf("list tags of an OCI layout: %v, want ErrUnsupported", err)
	}
	if err := ferry.Delete(ctx, "nginx"); !errors.Is(err, ferry.ErrInvalidName) {
		t.Errorf("a name without transport: %v, want ErrInvalidName", err)
	}
}
