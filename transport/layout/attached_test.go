package layout_test

import (
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
)

// TestDigestReference: PATH:@ALG:HEX names a manifest by digest (how an
// attached artifact is named) and round-trips; a bad digest is refused.
func TestDigestReference(t *testing.T) {
	t.Parallel()
	d := digest.FromString("x")
	r, err := layout.ParseReference("/srv/lay:@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != d || r.Path != "/srv/lay" || r.Ref != "" || r.String() != "/srv/lay:@"+d.String() {
		t.Errorf("parsed %+v, string %q", r, r.String())
	}
	if _, err := layout.ParseReference("/srv/lay:@sha256:nothex"); !errors.Is(err, errdefs.ErrInvalidReference) {
		t.Errorf("bad digest: %v", err)
	}
	if r, err := layout.ParseReference("/srv/lay:@2"); err != nil || r.Index != 2 || r.Digest != "" {
		t.Errorf("@N: %+v, %v", r, err)
	}
}
