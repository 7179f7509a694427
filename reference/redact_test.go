package reference

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// TestRedact: a password typed into an image name as user info
// (docker://user:pass@host/repo, as curl or git would take it) is never
// echoed by the "invalid image name" error; names without one are shown
// as typed.
func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"user:s3cret@localhost:5000/foo:1", "user:xxxxx@localhost:5000/foo:1"},
		{"user:s3/cr@t@host/foo", "user:xxxxx@host/foo"},
		{"user:s3cret@host/foo@sha256:" + strings.Repeat("a", 64), "user:xxxxx@host/foo@sha256:" + strings.Repeat("a", 64)},
		{"nginx:1@sha256:" + strings.Repeat("a", 64), "nginx:1@sha256:" + strings.Repeat("a", 64)},
		{"localhost:5000/foo:1", "localhost:5000/foo:1"},
		{"user@host/foo", "user@host/foo"},
		{"docker://user:s3cret@host/foo", "docker://user:xxxxx@host/foo"},
		{"docker:user:s3cret@host/foo", "docker:xxxxx@host/foo"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, name := range []string{"user:s3cret@localhost:5000/foo:1", "user:s3cret@localhost:5000/foo"} {
		_, err := ParseNamed(name, true)
		if !errors.Is(err, errdefs.ErrInvalidReference) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseNamed(%q): got %v, want ErrInvalidReference without the password", name, err)
		}
		_, err = ParseRepository(name)
		if !errors.Is(err, errdefs.ErrInvalidReference) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseRepository(%q): got %v, want ErrInvalidReference without the password", name, err)
		}
	}
}
