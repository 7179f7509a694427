package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/google/go-cmp/cmp"
)

// TestMatchesSkopeo runs the same read-only commands with real skopeo and
// ferry against the in-process registry. list-tags must be byte for byte
// skopeo's; inspect must hold every field skopeo prints, with the same
// value, in the same order (older skopeo releases lack LayersData, which
// is then not compared).
func TestMatchesSkopeo(t *testing.T) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	f := newRegistryFixture(t, testregistry.Options{})
	host := f.reg.Host()
	skopeoRun := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(skopeo, args...)
		// No credential file of the machine may leak in.
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "REGISTRY_AUTH_FILE=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("skopeo %v: %v: %s", args, err, stderr.Bytes())
		}
		return string(out)
	}
	ferryRun := func(t *testing.T, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("ferry %v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}

	t.Run("list-tags", func(t *testing.T) {
		t.Parallel()
		args := []string{"list-tags", "--tls-verify=false", "docker://" + host + "/app"}
		if want, got := skopeoRun(t, args...), ferryRun(t, args...); got != want {
			t.Errorf("ferry printed\n%s\nskopeo printed\n%s", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"index for arm64", []string{"--override-os", "linux", "--override-arch", "arm64", "inspect", "--tls-verify=false", "docker://" + host + "/app:1"}},
		{"index for arm/v7", []string{"--override-os", "linux", "--override-arch", "arm", "--override-variant", "v7", "inspect", "--tls-verify=false", "docker://" + host + "/app:2"}},
		{"single image, no tags", []string{"inspect", "--tls-verify=false", "--no-tags", "docker://" + host + "/single:latest"}},
		{"config", []string{"inspect", "--tls-verify=false", "--config", "docker://" + host + "/single:latest"}},
		{"raw", []string{"--override-arch", "arm64", "inspect", "--tls-verify=false", "--raw", "docker://" + host + "/app:1"}},
		{"raw config", []string{"--override-arch", "arm64", "inspect", "--tls-verify=false", "--raw", "--config", "docker://" + host + "/app:1"}},
		{"format", []string{"--override-arch", "arm64", "inspect", "--tls-verify=false", "--format", "{{.Name}} {{.Digest}} {{.Architecture}} {{.RepoTags}}", "docker://" + host + "/app:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, got := skopeoRun(t, tc.args...), ferryRun(t, tc.args...)
			if !strings.HasPrefix(want, "{\n") || strings.Contains(strings.Join(tc.args, " "), "--raw") {
				if got != want {
					t.Errorf("ferry printed\n%q\nskopeo printed\n%q", got, want)
				}
				return
			}
			var theirs, ours map[string]any
			if err := json.Unmarshal([]byte(want), &theirs); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(got), &ours); err != nil {
				t.Fatal(err)
			}
			for k, v := range theirs {
				if diff := cmp.Diff(v, ours[k]); diff != "" {
					t.Errorf("%s (-skopeo +ferry):\n%s", k, diff)
				}
			}
			if theirKeys, ourKeys := topKeys(t, want), topKeys(t, got); !cmp.Equal(theirKeys, filterKeys(ourKeys, theirs)) {
				t.Errorf("key order: skopeo %v, ferry %v", theirKeys, ourKeys)
			}
			if !strings.HasPrefix(got, "{\n    \"") {
				t.Errorf("ferry's JSON is not indented with four spaces:\n%s", got)
			}
		})
	}
}

// topKeys lists the top-level keys of a JSON object in document order.
func topKeys(t *testing.T, s string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// filterKeys keeps the keys present in m, in order.
func filterKeys(keys []string, m map[string]any) []string {
	var out []string
	for _, k := range keys {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}
