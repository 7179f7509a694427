package mirror

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnchorTagPattern(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{`3\.20`, []string{"3.20"}, []string{"3.20.1", "v3.20", "13.20"}},
		{`3\.20.*`, []string{"3.20", "3.20.1", "3.20-alpine"}, []string{"v3.20"}},
		{`a|b`, []string{"a", "b"}, []string{"ab", "ba", "xa"}},
		{`^3\.2[0-9]$`, []string{"3.20", "3.29"}, []string{"3.2", "3.200"}},
	} {
		re, err := AnchorTagPattern("--include-tag", tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tc.match {
			if !re.MatchString(s) {
				t.Errorf("%q does not match %q", tc.pattern, s)
			}
		}
		for _, s := range tc.miss {
			if re.MatchString(s) {
				t.Errorf("%q matches %q", tc.pattern, s)
			}
		}
	}
	if _, err := AnchorTagPattern("--exclude-tag", "(["); err == nil {
		t.Error("an invalid pattern was accepted")
	}
}

func TestFilterNewest(t *testing.T) {
	t.Parallel()
	tags := []string{"latest", "1.2.0", "v1.10.0", "1.9.9", "2.0.0-rc1", "1.10.0", "edge", "0.9"}
	if diff := cmp.Diff([]string{"2.0.0-rc1", "1.10.0", "v1.10.0"}, newest(tags, 3)); diff != "" {
		t.Errorf("newest 3 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2.0.0-rc1", "1.10.0", "v1.10.0", "1.9.9", "1.2.0", "0.9"}, newest(tags, 100)); diff != "" {
		t.Errorf("newest 100 (-want +got):\n%s", diff)
	}
	var found []listed
	for _, tag := range append(tags, "") { // "" stands for an image named by digest
		found = append(found, listed{tag: tag})
	}
	f := Filter{Newest: 2, Exclude: mustAnchor(t, `.*-rc.*`)}
	var got []string
	for _, l := range f.apply(found) {
		got = append(got, l.tag)
	}
	// Source order kept; the digest-named image passes every filter.
	if diff := cmp.Diff([]string{"v1.10.0", "1.10.0", ""}, got); diff != "" {
		t.Errorf("apply (-want +got):\n%s", diff)
	}
}

func mustAnchor(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	re, err := AnchorTagPattern("test", p)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in, env string
		want    Shard
		bad     bool
	}{
		{in: "0/1", want: Shard{0, 1}},
		{in: "3/8", want: Shard{3, 8}},
		{in: "auto/8", env: "7", want: Shard{7, 8}},
		{in: "8/8", bad: true},
		{in: "-1/8", bad: true},
		{in: "1/0", bad: true},
		{in: "1", bad: true},
		{in: "auto/4", env: "", bad: true},
		{in: "auto/4", env: "4", bad: true},
		{in: "auto/4", env: "x", bad: true},
	} {
		t.Setenv(JobIndexEnv, tc.env)
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseShard(%q) with $%s=%q = %v, %v", tc.in, JobIndexEnv, tc.env, got, err)
		}
	}
}

// TestShardSplit checks that N shards take every repository exactly
// once, roughly evenly, and that the split never changes between
// versions (workers of two ferry versions in one Job must agree).
func TestShardSplit(t *testing.T) {
	t.Parallel()
	const n = 4
	counts := make([]int, n)
	for r := range 400 {
		repo := fmt.Sprintf("registry.example/team/svc%d", r)
		owners := 0
		for i := range n {
			if (Shard{i, n}).owns(repo) {
				owners++
				counts[i]++
			}
		}
		if owners != 1 {
			t.Fatalf("%s has %d owners", repo, owners)
		}
	}
	for i, c := range counts {
		if c < 50 {
			t.Errorf("shard %d/%d owns %d of 400 repositories", i, n, c)
		}
	}
	// FNV-1a 64 of the name, modulo N: values computed apart from Go.
	for repo, want := range map[string]int{"docker.io/library/alpine": 1, "quay.io/skopeo/stable": 3, "registry.example/a/b": 3} {
		owner := -1
		for i := range 8 {
			if (Shard{i, 8}).owns(repo) {
				owner = i
			}
		}
		if owner != want {
			t.Errorf("%s: shard %d of 8, want %d", repo, owner, want)
		}
	}
}
