package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/google/go-cmp/cmp"
)

// wouldCopy matches the dry-run lines of skopeo and ferry alike.
var wouldCopy = regexp.MustCompile(`msg="Would have copied image ref (\d+)/(\d+)" from="?([^" ]+)"? to="?([^" ]+)"?`)

// plannedCopies extracts "N/M FROM -> TO" from dry-run output, sorted.
func plannedCopies(out string) []string {
	var got []string
	for _, m := range wouldCopy.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1]+"/"+m[2]+" "+m[3]+" -> "+m[4])
	}
	slices.Sort(got)
	return got
}

var syncedLine = regexp.MustCompile(`msg="Would have synced \d+ images from \d+ sources"`)

// TestSyncNamingMatchesSkopeo runs skopeo sync --dry-run and ferry sync
// --dry-run with the same arguments and compares what each would copy
// where, and the summary line: registry and dir sources, with and
// without --scoped.
func TestSyncNamingMatchesSkopeo(t *testing.T) {
	t.Parallel()
	skopeo := skopeoBin(t)
	reg := testregistry.New(t, testregistry.Options{})
	for i, tag := range []string{"1.0", "1.1", "latest"} {
		reg.Push(t, "ns/app", tag, testimage.New(testimage.Options{Seed: int64(i)}))
	}
	tree := t.TempDir()
	for i, p := range []string{"a/app:1", "a/b/tool", "top"} {
		writeDirImage(t, filepath.Join(tree, p), int64(10+i))
	}
	for _, tc := range []struct {
		name string
		args []string
		fail bool // both refuse: a scoped name holding HOST:PORT is not a valid repository
	}{
		{"docker repository", []string{"--src", "docker", "--dest", "docker", reg.Host() + "/ns/app", "mirror.example/team"}, false},
		{"docker repository scoped", []string{"--src", "docker", "--dest", "docker", "--scoped", reg.Host() + "/ns/app", "mirror.example/team"}, true},
		{"docker image", []string{"--src", "docker", "--dest", "docker", reg.Host() + "/ns/app:1.1", "mirror.example"}, false},
		{"docker image scoped", []string{"--src", "docker", "--dest", "docker", "--scoped", "registry.example/ns/app:1.1", "mirror.example/x"}, false},
		{"docker hub image scoped", []string{"--src", "docker", "--dest", "docker", "--scoped", "alpine:3.20", "mirror.example/x"}, false},
		{"docker hub image by digest", []string{"--src", "docker", "--dest", "docker", "docker.io/library/alpine@sha256:" + strings.Repeat("ab", 32), "mirror.example/x"}, false},
		{"dir tree", []string{"--src", "dir", "--dest", "docker", tree, "mirror.example/team"}, false},
		{"dir tree scoped", []string{"--src", "dir", "--dest", "docker", "--scoped", tree, "mirror.example/team"}, false},
		{"dir tree trailing slash", []string{"--src", "dir", "--dest", "docker", "--scoped", tree + "/", "mirror.example/team"}, false},
		{"docker repository to dir", []string{"--src", "docker", "--dest", "dir", reg.Host() + "/ns/app", "DIRDEST"}, false},
		{"docker repository to dir scoped", []string{"--src", "docker", "--dest", "dir", "--scoped", reg.Host() + "/ns/app", "DIRDEST"}, false},
		{"one dir image", []string{"--src", "dir", "--dest", "docker", filepath.Join(tree, "top"), "mirror.example/team"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sync", "--dry-run", "--src-tls-verify=false"}, tc.args...)
			if args[len(args)-1] == "DIRDEST" {
				// skopeo makes each image's directory even in a dry run
				args[len(args)-1] = filepath.Join(t.TempDir(), "out")
			}
			cmd := exec.CommandContext(context.Background(), skopeo, append([]string{"--insecure-policy"}, args...)...)
			sk, err := cmd.CombinedOutput()
			_, fe, code := runCLI(t, append([]string{"--insecure-policy"}, args...)...)
			if tc.fail {
				if err == nil || code != 1 {
					t.Fatalf("skopeo: %v, ferry: exit %d; want both to fail\n%s\n%s", err, code, sk, fe)
				}
				wantOneLine(t, fe, "invalid")
				return
			}
			if err != nil {
				t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, sk)
			}
			if code != 0 {
				t.Fatalf("ferry: exit %d: %s", code, fe)
			}
			want, got := plannedCopies(string(sk)), plannedCopies(fe)
			if len(want) == 0 {
				t.Fatalf("skopeo planned nothing:\n%s", sk)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("planned copies (-skopeo +ferry):\n%s", diff)
			}
			if w, g := syncedLine.FindString(string(sk)), syncedLine.FindString(fe); w != g {
				t.Errorf("summary: skopeo %q, ferry %q", w, g)
			}
		})
	}
}

// writeDirImage stores a small image as a dir: image at path.
func writeDirImage(t *testing.T, path string, seed int64) {
	t.Helper()
	r, err := dir.ParseReference(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := r.NewDestination(ctx, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := testimage.New(testimage.Options{Seed: seed}).Write(ctx, d); err != nil {
		t.Fatal(err)
	}
}
