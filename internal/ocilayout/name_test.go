package ocilayout

import (
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

func TestParseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Name
		wantErr error
	}{
		{"/srv/l", Name{Path: "/srv/l", Index: -1}, nil},
		{"/srv/l:v1", Name{Path: "/srv/l", Ref: "v1", Index: -1}, nil},
		{"l:example.com/app:1", Name{Path: "l", Ref: "example.com/app:1", Index: -1}, nil},
		{"l:@2", Name{Path: "l", Index: 2}, nil},
		{"", Name{}, errdefs.ErrInvalidReference},
		{":v1", Name{}, errdefs.ErrInvalidReference},
		{"l:@-1", Name{}, errdefs.ErrInvalidReference},
		{"l:../x", Name{}, errdefs.ErrInvalidReference},
		{"l:a/../../b", Name{}, errdefs.ErrInvalidReference},
	}
	for _, tt := range tests {
		got, err := ParseName("oci", "/srv/l:1", tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseName(%q): got error %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got != tt.want {
			t.Errorf("ParseName(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParseName(%q).String() = %q, want the input back", tt.in, got.String())
		}
	}
}
