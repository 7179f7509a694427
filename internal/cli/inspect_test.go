package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/internal/testimage"
)

func TestInspectOCI(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	arm := f.ix.Images[1]
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"index resolves to the overridden platform", []string{"--override-arch", "arm64", "--override-os", "linux", "inspect", f.multi}, func(t *testing.T, stdout string) {
			var out inspect.Output
			mustJSON(t, stdout, &out)
			if out.Digest != f.ix.Digest || out.Architecture != "arm64" || out.Os != "linux" || len(out.Layers) != len(arm.Layers) || out.Layers[0] != arm.Layers[0].Digest.String() {
				t.Errorf("inspect = %+v, want the index digest %s and the arm64 instance", out, f.ix.Digest)
			}
			if out.Name != "" || strings.Contains(stdout, `"Name"`) || len(out.RepoTags) != 0 || !strings.Contains(stdout, `"RepoTags": []`) {
				t.Errorf("an oci: image has no Name and an empty RepoTags list:\n%s", stdout)
			}
		}},
		{"variant override", []string{"--override-arch", "arm", "--override-variant", "v7", "inspect", "--format", "{{.Architecture}}/{{.Variant}}", f.multi}, func(t *testing.T, stdout string) {
			if stdout != "arm/v7\n" {
				t.Errorf("got %q, want arm/v7", stdout)
			}
		}},
		{"format", []string{"--override-arch", "arm64", "inspect", "--format", "{{.Architecture}}", f.multi}, func(t *testing.T, stdout string) {
			if stdout != "arm64\n" {
				t.Errorf("got %q, want \"arm64\\n\"", stdout)
			}
		}},
		{"format json function", []string{"inspect", "-f", "{{json .Labels}}", f.single}, func(t *testing.T, stdout string) {
			if stdout != `{"maintainer":"ferry \u003ctests@example.com\u003e"}`+"\n" {
				t.Errorf("got %q", stdout)
			}
		}},
		{"format json means the whole document", []string{"inspect", "--format", "json", f.single}, func(t *testing.T, stdout string) {
			if !strings.HasPrefix(stdout, "{\n    \"Digest\": ") {
				t.Errorf("got %q, want the indented JSON document", stdout)
			}
		}},
		{"raw prints the index as stored", []string{"inspect", "--raw", f.multi}, func(t *testing.T, stdout string) {
			if stdout != string(f.ix.Manifest) {
				t.Errorf("got %q, want the index bytes %q", stdout, f.ix.Manifest)
			}
		}},
		{"raw config", []string{"--override-arch", "arm64", "inspect", "--raw", "--config", f.multi}, func(t *testing.T, stdout string) {
			if stdout != string(arm.Blobs[arm.Config.Digest]) {
				t.Errorf("got %q, want the arm64 config bytes", stdout)
			}
		}},
		{"config", []string{"--override-arch", "arm64", "inspect", "--config", f.multi}, func(t *testing.T, stdout string) {
			var cfg struct {
				Architecture string `json:"architecture"`
				RootFS       struct {
					DiffIDs []string `json:"diff_ids"`
				} `json:"rootfs"`
			}
			mustJSON(t, stdout, &cfg)
			if cfg.Architecture != "arm64" || len(cfg.RootFS.DiffIDs) != len(arm.Layers) || !strings.HasPrefix(stdout, "{\n    \"created\"") {
				t.Errorf("got %s, want the arm64 config, indented", stdout)
			}
		}},
		{"config format", []string{"--override-arch", "arm64", "inspect", "--config", "--format", "{{.Architecture}}", f.multi}, func(t *testing.T, stdout string) {
			if stdout != "arm64\n" {
				t.Errorf("got %q", stdout)
			}
		}},
		{"single docker image", []string{"inspect", f.single}, func(t *testing.T, stdout string) {
			checkSkopeoShape(t, stdout, f.img)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("ferry %v: exit %d: %s", tc.args, code, stderr)
			}
			tc.check(t, stdout)
		})
	}
}

// checkSkopeoShape checks the JSON is indented with four spaces, in
// skopeo's key order, with HTML characters escaped as encoding/json does.
func checkSkopeoShape(t *testing.T, stdout string, img *testimage.Image) {
	t.Helper()
	want := "{\n" +
		`    "Digest": "` + img.Digest.String() + "\",\n" +
		`    "RepoTags": [],` + "\n" +
		`    "Created": "2024-01-02T03:04:05Z",` + "\n" +
		`    "DockerVersion": "",` + "\n" +
		`    "Labels": {` + "\n" +
		`        "maintainer": "ferry \u003ctests@example.com\u003e"` + "\n" +
		`    },` + "\n" +
		`    "Architecture": "amd64",` + "\n" +
		`    "Os": "linux",` + "\n" +
		`    "Layers": [` + "\n"
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("inspect output starts\n%s\nwant\n%s", stdout, want)
	}
	if !strings.Contains(stdout, "    \"LayersData\": [\n        {\n            \"MIMEType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",") ||
		!strings.HasSuffix(stdout, "    \"Env\": [\n        \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n    ]\n}\n") {
		t.Errorf("inspect output lacks skopeo's LayersData or Env layout:\n%s", stdout)
	}
}

func TestInspectErrors(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing reference", []string{"inspect", "oci:" + f.dir + ":nope"}, 2, `"nope"`},
		{"missing layout", []string{"inspect", "oci:" + f.dir + "/nothing-here:x"}, 2, "no such directory"},
		{"no instance for the platform", []string{"--override-arch", "s390x", "inspect", f.multi}, 1, "no image found in image index for architecture s390x"},
		{"raw still works without a matching instance", []string{"--override-arch", "s390x", "inspect", "--raw", f.multi}, 0, ""},
		{"bad transport", []string{"inspect", "nosuch:thing"}, 1, `unknown transport "nosuch"`},
		{"bad template", []string{"inspect", "--format", "{{.Nope", f.single}, 1, "--format"},
		{"template names a missing field", []string{"inspect", "--format", "{{.Nope}}", f.single}, 1, "Nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("ferry %v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr)
			}
			if tc.code != 0 {
				wantOneLine(t, stderr, tc.want)
			}
		})
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}
