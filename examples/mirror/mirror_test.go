package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry"
)

func TestDestination(t *testing.T) {
	for _, tc := range []struct {
		src, to, want string
		err           error
	}{
		{"docker://nginx:1.27", "mirror.internal", "docker://mirror.internal/library/nginx:1.27", nil},
		{"docker://quay.io/org/app:v2", "mirror.internal/quay/", "docker://mirror.internal/quay/org/app:v2", nil},
		{"docker://localhost:5000/app@sha256:" + strings.Repeat("a", 64), "m:5001", "docker://m:5001/app@sha256:" + strings.Repeat("a", 64), nil},
		{"oci:/srv/layout:app", "mirror.internal", "", ferry.ErrUnsupported},
		{"nginx", "mirror.internal", "", ferry.ErrInvalidName},
	} {
		got, err := destination(tc.src, tc.to)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("destination(%q, %q) = %q, %v; want %q, %v", tc.src, tc.to, got, err, tc.want, tc.err)
		}
	}
}

func TestParseList(t *testing.T) {
	got, err := parseList(strings.NewReader("# mirrored for CI\ndocker://alpine:3.20\n\n  docker://nginx:1.27  \n"))
	if err != nil || strings.Join(got, ",") != "docker://alpine:3.20,docker://nginx:1.27" {
		t.Errorf("parseList = %q, %v", got, err)
	}
}
