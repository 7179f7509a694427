package docker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport/docker"
)

// countingHelper installs docker-credential-ferrycount on PATH and names
// it in a Docker config.json for each host: it answers bob's credentials
// and appends a line to the returned file each time it runs.
func countingHelper(t *testing.T, hosts ...string) (runs string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("DOCKER_CONFIG", "")
	bin := filepath.Join(home, "bin")
	runs = filepath.Join(home, "helper-runs")
	write(t, filepath.Join(bin, "docker-credential-ferrycount"), "#!/bin/sh\n"+
		"[ \"$1\" = get ] || exit 1\n"+
		"read server\n"+
		"echo \"$server\" >> '"+runs+"'\n"+
		"printf '{\"Username\":\""+bob.Username+"\",\"Secret\":\""+bob.Password+"\"}'\n")
	if err := os.Chmod(filepath.Join(bin, "docker-credential-ferrycount"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var entries []string
	for _, h := range hosts {
		entries = append(entries, fmt.Sprintf("%q:\"ferrycount\"", h))
	}
	write(t, filepath.Join(home, ".docker", "config.json"), `{"credHelpers":{`+strings.Join(entries, ",")+`}}`)
	return runs
}

// serverCounts are what one registry saw: pings (GET /v2/) and token
// requests by scope.
type serverCounts struct {
	pings  int
	tokens map[string]int
}

func countsOf(reg *testregistry.Registry) serverCounts {
	c := serverCounts{tokens: map[string]int{}}
	for _, r := range reg.Requests() {
		if r.Method == "GET" && r.Path == "/v2/" {
			c.pings++
		}
	}
	for _, tr := range reg.TokenRequests() {
		c.tokens[strings.Join(tr.Scopes, " ")]++
	}
	return c
}

// TestPoolSharesSessions copies 50 images between two token-protected
// registries in one process, through copier.Copy with one registry.Pool
// shared by the source side and the destination side (whose configs
// differ), and counts at the servers: one ping per host, one token per
// host and scope, one credential-helper run per host, whatever the number
// of images. It changes HOME and PATH, so it does not run in parallel.
func TestPoolSharesSessions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		repos int // the 50 images spread over this many repositories
	}{
		{"one repository", 1},
		{"five repositories", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testregistry.New(t, testregistry.Options{Token: true, Basic: bob})
			dst := testregistry.New(t, testregistry.Options{Token: true, Basic: bob})
			runs := countingHelper(t, src.Host(), dst.Host())
			const images = 50
			name := func(i int) string { return fmt.Sprintf("team/app%d:t%02d", i%tc.repos, i) }
			for i := range images {
				img := testimage.New(testimage.Options{Seed: int64(1000 + i)})
				repo, tag, _ := strings.Cut(name(i), ":")
				src.Push(t, repo, tag, img)
			}
			src.ResetRequests()

			pool := registry.NewPool(registry.PoolOptions{NoHints: true})
			srcT := docker.New(docker.Config{Pool: pool, Insecure: true})
			dstT := docker.New(docker.Config{Pool: pool, Insecure: true, ChunkSize: 1 << 20})
			ctx := context.Background()
			for i := range images {
				from, err := srcT.ParseReference("//" + src.Ref(name(i)))
				if err != nil {
					t.Fatal(err)
				}
				to, err := dstT.ParseReference("//" + dst.Ref("mirror/"+name(i)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := copier.Copy(ctx, from, to, copier.Options{}); err != nil {
					t.Fatalf("copy %d: %v", i, err)
				}
			}
			if err := pool.Close(); err != nil {
				t.Fatal(err)
			}

			for _, side := range []struct {
				name   string
				reg    *testregistry.Registry
				scopes func(repo string) string
			}{
				{"source", src, func(repo string) string { return "repository:" + repo + ":pull" }},
				{"destination", dst, func(repo string) string { return "repository:mirror/" + repo + ":pull,push" }},
			} {
				got := countsOf(side.reg)
				if got.pings != 1 {
					t.Errorf("%s: %d pings for %d images, want 1", side.name, got.pings, images)
				}
				want := map[string]int{}
				for r := range tc.repos {
					want[side.scopes(fmt.Sprintf("team/app%d", r))] = 1
				}
				if fmt.Sprint(got.tokens) != fmt.Sprint(want) {
					t.Errorf("%s: token requests by scope %v, want %v", side.name, got.tokens, want)
				}
			}
			b, err := os.ReadFile(runs)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(string(b))
			if len(lines) != 2 || lines[0] == lines[1] {
				t.Errorf("credential helper ran for %q, want once for each of the two hosts", lines)
			}
		})
	}
}
