package dockerarchive_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// Names docker load refuses ("MyHost/app:1": Docker reads MyHost as a
// path component, which must be lowercase) are refused before anything
// is written, as the image name or as an additional tag; names it loads
// (checked against a real Engine when this test was written: a host with
// a dot, localhost, capitals in a tag) are taken.
func TestDestinationNamesAsDockerLoadsThem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{name: "app:1"},
		{name: "Example.com/app:1"},
		{name: "localhost/app:1"},
		{name: "app:Tag_1"},
		{name: "MyHost/app:1", err: errdefs.ErrInvalidReference},
	} {
		path := filepath.Join(t.TempDir(), "a.tar")
		dst, err := parse(t, path+":"+tc.name).NewDestination(context.Background(), &transport.Options{})
		if err == nil {
			dst.Close()
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
		if _, serr := os.Stat(path); tc.err != nil && serr == nil {
			t.Errorf("%s: the archive was created", tc.name)
		}
	}
}
