package registriesconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/google/go-cmp/cmp"
)

func TestResolveShortName(t *testing.T) {
	t.Parallel()
	const aliases = `
[aliases]
"alpine" = "docker.io/alpine"
"team/app" = "registry.example.com:5000/team/app"
`
	two := `unqualified-search-registries = ["quay.io", "docker.io"]` + "\n"
	for _, tc := range []struct {
		name, conf, input string
		terminal          bool
		want              []string
		alias, choose     bool
		err               string
	}{
		{name: "fully qualified", conf: two, input: "quay.io/x/y", want: []string{"quay.io/x/y:latest"}},
		{name: "localhost is a registry", conf: two, input: "localhost/y:1", want: []string{"localhost/y:1"}},
		{name: "alias, normalised, tag kept", conf: two + aliases, input: "alpine:3.20", want: []string{"docker.io/library/alpine:3.20"}, alias: true},
		{name: "alias with a namespace, digest kept", conf: two + aliases, input: "team/app@" + dg, want: []string{"registry.example.com:5000/team/app@" + dg}, alias: true},
		{name: "alias wins over enforcing", conf: two + "short-name-mode = \"enforcing\"\n" + aliases, input: "alpine", want: []string{"docker.io/library/alpine:latest"}, alias: true},
		{name: "one search registry", conf: `unqualified-search-registries = ["quay.io"]` + "\nshort-name-mode = \"enforcing\"\n", input: "x/y", want: []string{"quay.io/x/y:latest"}},
		{name: "permissive without a terminal tries all", conf: two, input: "busybox", want: []string{"quay.io/busybox:latest", "docker.io/library/busybox:latest"}},
		{name: "permissive with a terminal asks", conf: two, input: "busybox", terminal: true, want: []string{"quay.io/busybox:latest", "docker.io/library/busybox:latest"}, choose: true},
		{name: "enforcing with a terminal asks", conf: two + "short-name-mode = \"enforcing\"\n", input: "busybox", terminal: true, want: []string{"quay.io/busybox:latest", "docker.io/library/busybox:latest"}, choose: true},
		{name: "disabled never asks", conf: two + "short-name-mode = \"disabled\"\n", input: "busybox", terminal: true, want: []string{"quay.io/busybox:latest", "docker.io/library/busybox:latest"}},
		{name: "enforcing without a terminal refuses", conf: two + "short-name-mode = \"enforcing\"\n", input: "busybox",
			err: `short name "busybox" could come from any of quay.io, docker.io, and short-name-mode is enforcing`},
		{name: "no search list", conf: "", input: "busybox", err: `short name "busybox" matches no alias and no unqualified-search-registries are set in`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := load(t, tc.conf)
			r, err := c.ResolveShortName(tc.input, tc.terminal)
			if tc.err != "" {
				if !errors.Is(err, errdefs.ErrInvalidReference) || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range r.Candidates {
				got = append(got, n.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if r.Alias != tc.alias || r.Choose != tc.choose {
				t.Errorf("alias %v choose %v, want %v %v", r.Alias, r.Choose, tc.alias, tc.choose)
			}
		})
	}
}
