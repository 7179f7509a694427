package transports

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

func TestParseNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		transport string
		str       string // String() within the transport
		docker    string // DockerReference().String(), "" for none
	}{
		{"docker://nginx", "docker", "//nginx:latest", "docker.io/library/nginx:latest"},
		{"docker://docker.io/library/nginx:1.17.6", "docker", "//nginx:1.17.6", "docker.io/library/nginx:1.17.6"},
		{"docker://localhost:5000/app:1", "docker", "//localhost:5000/app:1", "localhost:5000/app:1"},
		{"docker://quay.io/org/img@sha256:" + hex64, "docker", "//quay.io/org/img@sha256:" + hex64, "quay.io/org/img@sha256:" + hex64},
		{"docker://user/app", "docker", "//user/app:latest", "docker.io/user/app:latest"},
		{"oci:/srv/images/nginx:1.17.6", "oci", "/srv/images/nginx:1.17.6", ""},
		{"oci:/srv/images/nginx", "oci", "/srv/images/nginx", ""},
		{"oci:layout:@2", "oci", "layout:@2", ""},
		{"oci-archive:/tmp/app.tar:v1", "oci-archive", "/tmp/app.tar:v1", ""},
		{"oci-archive:-", "oci-archive", "-", ""},
		{"docker-archive:/tmp/nginx.tar", "docker-archive", "/tmp/nginx.tar", ""},
		{"docker-archive:/tmp/nginx.tar:nginx:1.17.6", "docker-archive", "/tmp/nginx.tar:nginx:1.17.6", "docker.io/library/nginx:1.17.6"},
		{"docker-archive:/tmp/nginx.tar:nginx", "docker-archive", "/tmp/nginx.tar:nginx:latest", "docker.io/library/nginx:latest"},
		{"docker-archive:/tmp/x.tar:@1", "docker-archive", "/tmp/x.tar:@1", ""},
		{"docker-archive:-", "docker-archive", "-", ""},
		{"docker-daemon:nginx:1.17.6", "docker-daemon", "nginx:1.17.6", "docker.io/library/nginx:1.17.6"},
		{"docker-daemon:sha256:" + hex64, "docker-daemon", "sha256:" + hex64, ""},
		{"docker-daemon:nginx@sha256:" + hex64, "docker-daemon", "nginx@sha256:" + hex64, "docker.io/library/nginx@sha256:" + hex64},
		{"dir:/tmp/app", "dir", "/tmp/app", ""},
		{"tarball:/tmp/a.tar:/tmp/b.tar.gz", "tarball", "/tmp/a.tar:/tmp/b.tar.gz", ""},
		{"containers-storage:nginx", "containers-storage", "docker.io/library/nginx:latest", "docker.io/library/nginx:latest"},
		{"containers-storage:[overlay@/var/lib/containers/storage]busybox:1", "containers-storage", "[overlay@/var/lib/containers/storage]docker.io/library/busybox:1", "docker.io/library/busybox:1"},
		{"containers-storage:" + hex64, "containers-storage", hex64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Transport().Name(); got != tt.transport {
				t.Errorf("transport %q, want %q", got, tt.transport)
			}
			if got := r.String(); got != tt.str {
				t.Errorf("String() %q, want %q", got, tt.str)
			}
			var docker string
			if n := r.DockerReference(); n != nil {
				docker = n.String()
			}
			if docker != tt.docker {
				t.Errorf("DockerReference %q, want %q", docker, tt.docker)
			}
			// String round-trips through ParseReference.
			again, err := r.Transport().ParseReference(r.String())
			if err != nil || again.String() != r.String() {
				t.Errorf("round trip: %v, %v", again, err)
			}
		})
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseBadNames(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"nginx",                            // no transport
		"docker:nginx",                     // missing //
		"docker://",                        // empty
		"docker://Upper",                   // repository names are lowercase
		"docker://nginx:1@sha256:" + hex64, // tag and digest
		"docker://nginx@sha256:abc",        // short digest
		"foo:bar",                          // unknown transport
		"oci:",                             // no path
		"oci:/x:bad ref",                   // invalid ref name
		"oci:/x:@x",                        // bad index
		"dir:",                             // no path
		"docker-archive:",                  // no path
		"docker-archive:/x.tar:nginx@sha256:" + hex64, // digest in archive name
		"docker-daemon:nginx",                         // neither tag nor digest
		"tarball:",                                    // no file
		"tarball:a.tar::b.tar",                        // empty file
		"containers-storage:",                         // nothing
		"containers-storage:[overlay",                 // unterminated
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(in)
			if err == nil {
				t.Fatalf("parsed as %v, want an error", r)
			}
			if !errors.Is(err, errdefs.ErrInvalidReference) {
				t.Errorf("error %v does not wrap ErrInvalidReference", err)
			}
		})
	}
}

func TestDockerHubHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nginx":                  reference.DockerHubHost,
		"docker.io/library/x":    reference.DockerHubHost,
		"localhost:5000/app":     "localhost:5000",
		"quay.io/org/img":        "quay.io",
		"index.docker.io/user/x": reference.DockerHubHost,
	} {
		n, err := reference.ParseNamed(in, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := reference.RegistryHost(n); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStorageWithoutBackend: without Config.Storage a containers-storage:
// name parses, and opening it fails with ErrNotSupported, saying how a
// program enables the store.
func TestStorageWithoutBackend(t *testing.T) {
	t.Parallel()
	r, err := New(Config{}).Parse("containers-storage:busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	_, srcErr := r.NewSource(context.Background(), &transport.Options{})
	_, dstErr := r.NewDestination(context.Background(), &transport.Options{})
	delErr := r.(transport.Deleter).DeleteImage(context.Background(), &transport.Options{})
	for _, err := range []error{srcErr, dstErr, delErr} {
		if !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "ferry.WithContainersStorage(store.Backend)") {
			t.Errorf("got %v, want ErrNotSupported naming ferry.WithContainersStorage(store.Backend)", err)
		}
	}
}
