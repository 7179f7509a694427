package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The deliberate differences from skopeo 1.9.3, one value each. The README's
// "Differences from skopeo" section lists the same, with the same reasons.
var (
	// notFoundExits2: skopeo 1.9.3 exits 1 for everything; skopeo 1.16 and
	// later exit 2 when the image does not exist. ferry does as the newer
	// skopeo, so a script can tell "not there" from "broken".
	notFoundExits2 = difference{
		reason: "a missing image or tag exits 2, as skopeo 1.16+ does (skopeo 1.9.3 exits 1)",
		readme: "**A missing image exits 2**",
		check: func(t *testing.T, s, f *outcome) {
			if s.code != 1 || f.code != 2 {
				t.Errorf("want skopeo 1.9.3 to exit 1 and ferry 2 for a missing image; got %d and %d", s.code, f.code)
			}
			f.code = s.code
		},
	}

	// layersData: skopeo 1.10 added LayersData to inspect's output; ferry
	// prints it, as every later skopeo does.
	layersData = difference{
		reason: "inspect prints LayersData, as skopeo 1.10+ does",
		readme: "prints `LayersData`",
		check: func(t *testing.T, s, f *outcome) {
			if dropJSONKey(t, &s.stdout, "LayersData") {
				t.Error("skopeo printed LayersData: the difference is gone, remove it")
			}
			if !dropJSONKey(t, &f.stdout, "LayersData") {
				t.Error("ferry did not print LayersData")
			}
		},
	}

	// progressOnStderr: skopeo copy writes its status lines to stdout;
	// ferry keeps stdout for results (an archive streamed to "-", say) and
	// reports progress on stderr.
	progressOnStderr = difference{
		reason: "copy reports progress on stderr, never stdout",
		readme: "**Progress goes to stderr**",
		check: func(t *testing.T, s, f *outcome) {
			if s.code == 0 && !strings.Contains(s.stdout, "Writing manifest") {
				t.Errorf("skopeo's copy did not print its status lines on stdout: %q", s.stdout)
			}
			if f.stdout != "" {
				t.Errorf("ferry's copy printed on stdout: %q", f.stdout)
			}
			s.stdout, f.stdout = "", ""
		},
	}

	// versionNamesFerry: installed as skopeo, ferry's --version still says
	// what runs, after the words scripts parse.
	versionNamesFerry = difference{
		reason: "--version says it is ferry after \"skopeo version 1.9.3\"",
		readme: "**`--version`** under skopeo's name",
		check: func(t *testing.T, s, f *outcome) {
			if s.stdout != "skopeo version 1.9.3\n" {
				t.Errorf("skopeo --version printed %q, the suite expects 1.9.3", s.stdout)
			}
			if !strings.HasPrefix(f.stdout, "skopeo version 1.9.3 (ferry ") {
				t.Errorf("ferry installed as skopeo: --version printed %q", f.stdout)
			}
			f.stdout = s.stdout
		},
	}

	// verifyNamesFingerprint: standalone-verify prints newer skopeo's line,
	// which names the key that verified.
	verifyNamesFingerprint = difference{
		reason: "standalone-verify prints newer skopeo's line, naming the key's fingerprint",
		readme: "**`standalone-verify` prints newer skopeo's line**",
		check: func(t *testing.T, s, f *outcome) {
			if !strings.HasPrefix(s.stdout, "Signature verified, digest ") {
				t.Errorf("skopeo printed %q", s.stdout)
			}
			short := fingerprintWords.ReplaceAllString(f.stdout, ", digest ")
			if short == f.stdout {
				t.Errorf("ferry printed %q, want \"Signature verified using fingerprint FPR, digest D\"", f.stdout)
			}
			f.stdout = short
		},
	}

	// preserveDigestsRefusesChange: skopeo 1.9.3 silently ignores --format
	// (and --dest-compress-format) under --preserve-digests and copies the
	// image unchanged; ferry refuses the contradiction before writing
	// anything, so the user learns one of the two flags was not honoured.
	preserveDigestsRefusesChange = difference{
		reason: "--preserve-digests with a --format that would change the manifest is refused (skopeo ignores --format)",
		readme: "**`--preserve-digests` with `--format` or `--dest-compress-format`**",
		check: func(t *testing.T, s, f *outcome) {
			if s.code != 0 {
				t.Errorf("skopeo exits %d; the suite expects it to ignore --format and copy", s.code)
			}
			if f.code != 1 || !strings.Contains(f.stderr, "--preserve-digests") {
				t.Errorf("ferry: exit %d, stderr %q; want 1 and a sentence naming --preserve-digests", f.code, f.stderr)
			}
			f.code, f.stderr = s.code, s.stderr
		},
	}

	// usageErrorExits1: skopeo copy with a wrong number of arguments prints
	// its help on stdout and exits 0, so a script carries on as if the copy
	// had happened; ferry says what is wrong on stderr and exits 1.
	usageErrorExits1 = difference{
		reason: "a wrong number of arguments exits 1 with one line on stderr (skopeo copy prints its help and exits 0)",
		readme: "**A wrong number of arguments exits 1**",
		check: func(t *testing.T, s, f *outcome) {
			if s.code != 0 || !strings.Contains(s.stdout, "Usage:") {
				t.Errorf("skopeo: exit %d, stdout %q; the suite expects its help and 0", s.code, s.stdout)
			}
			if f.code != 1 || f.stdout != "" || !strings.Contains(f.stderr, "--help") {
				t.Errorf("ferry: exit %d, stdout %q, stderr %q; want 1, nothing, and a pointer to --help", f.code, f.stdout, f.stderr)
			}
			s.stdout, f.code = "", s.code
		},
	}

	// noDebrisOnFailure: skopeo leaves a dir: destination behind (its
	// version file) when a copy fails before any blob; ferry's destination
	// appears only when the copy commits.
	noDebrisOnFailure = difference{
		reason: "a failed copy leaves no destination behind",
		readme: "**A failed copy leaves nothing**",
		check: func(t *testing.T, s, f *outcome) {
			if s.code == 0 || f.code == 0 {
				t.Errorf("the copy should fail in both: exit %d and %d", s.code, f.code)
			}
			for i := range s.artifacts {
				if strings.HasPrefix(s.artifacts[i], "unreadable:") {
					t.Errorf("skopeo left nothing either (%s): the difference is gone, remove it", s.artifacts[i])
				}
				if !strings.HasPrefix(f.artifacts[i], "unreadable:") {
					t.Errorf("ferry left %s behind a failed copy", f.artifacts[i])
				}
				f.artifacts[i] = s.artifacts[i]
			}
		},
	}

	// indexMediaType: ferry's index.json names its media type, as the OCI
	// image-spec recommends (image-index.md: mediaType "SHOULD be used");
	// skopeo 1.9.3 leaves it out. Readers accept both.
	indexMediaType = difference{
		reason: "an OCI layout's index.json carries mediaType, as image-spec recommends",
		readme: "carries `mediaType`",
		check: func(t *testing.T, s, f *outcome) {
			const with = `index.json = {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",`
			const without = `index.json = {"schemaVersion":2,`
			for i := range f.artifacts {
				if !strings.Contains(s.artifacts[i], "index.json = ") && !strings.Contains(f.artifacts[i], "index.json = ") {
					continue // not a layout (a shared blob directory)
				}
				if strings.Contains(s.artifacts[i], with) || !strings.Contains(s.artifacts[i], without) {
					t.Errorf("skopeo's index.json is not as the suite expects:\n%s", s.artifacts[i])
				}
				if !strings.Contains(f.artifacts[i], with) {
					t.Errorf("ferry's index.json lacks its mediaType:\n%s", f.artifacts[i])
				}
				f.artifacts[i] = strings.ReplaceAll(f.artifacts[i], with, without)
			}
		},
	}

	// archiveKeepsCompression: a docker-archive ferry writes keeps the
	// layers as compressed in the source (the archive is the image's size,
	// not the uncompressed size), in the layout `docker save` writes since
	// Docker 25 (blobs/sha256/...), which docker load reads. Its names
	// (RepoTags), config and layer count are skopeo's.
	archiveKeepsCompression = difference{
		reason: "docker-archive is written as docker save writes it: layers kept compressed under blobs/sha256/ (Docker 25's layout), so the archive is the image's size; names in familiar form (app:1)",
		readme: "layers kept compressed",
		check: func(t *testing.T, s, f *outcome) {
			for i := range f.artifacts {
				sm, fm := archiveManifest(t, s.artifacts[i]), archiveManifest(t, f.artifacts[i])
				if sm == nil || fm == nil {
					continue
				}
				for j, n := range sm.RepoTags {
					// skopeo writes docker.io/app/x:1; docker save app/x:1.
					sm.RepoTags[j] = strings.TrimPrefix(strings.TrimPrefix(n, "docker.io/"), "library/")
				}
				if !reflect.DeepEqual(sm.RepoTags, fm.RepoTags) || len(sm.Layers) != len(fm.Layers) || path.Base(sm.Config) != path.Base(fm.Config) {
					t.Errorf("archives differ beyond layer storage:\nskopeo %+v\nferry  %+v", *sm, *fm)
				}
				for _, l := range fm.Layers {
					if !strings.HasPrefix(l, "blobs/sha256/") {
						t.Errorf("ferry's archive stores layer %s outside blobs/sha256/", l)
					}
				}
				for _, l := range sm.Layers {
					if strings.HasPrefix(l, "blobs/") {
						t.Errorf("skopeo's archive has Docker 25's layout (%s): the difference is gone", l)
					}
				}
				summary := fmt.Sprintf("docker-archive %v, config %s, %d layers", sm.RepoTags, path.Base(sm.Config), len(sm.Layers))
				s.artifacts[i], f.artifacts[i] = summary, summary
			}
		},
	}
)

// dockerHostHonoured: docker-daemon: reaches the daemon DOCKER_HOST names,
// as the docker CLI does; skopeo 1.9.3 ignores the variable and needs
// --daemon-host.
var dockerHostHonoured = difference{
	reason: "docker-daemon: honours DOCKER_HOST, as the docker CLI does",
	readme: "honours `DOCKER_HOST`",
	check: func(t *testing.T, s, f *outcome) {
		if s.code == 0 {
			t.Errorf("skopeo reached the daemon through DOCKER_HOST: the difference is gone")
		}
		if f.code != 0 || f.stdout == "" {
			t.Errorf("ferry did not reach the daemon through DOCKER_HOST: exit %d, %s", f.code, f.stderr)
		}
		f.code, f.stdout, s.stdout = s.code, "", ""
	},
}

// compressFormatHonoured: --dest-compress-format alone recompresses layers
// that arrive in another compression (it implies --dest-compress); skopeo
// 1.9.3 ignores it for dir: without --dest-compress and silently keeps gzip.
var compressFormatHonoured = difference{
	reason: "--dest-compress-format alone recompresses (it implies --dest-compress); skopeo 1.9.3 ignores it for dir: and keeps gzip",
	readme: "**`--dest-compress-format` alone recompresses**",
	check: func(t *testing.T, s, f *outcome) {
		for i := range f.artifacts {
			if !strings.Contains(s.artifacts[i], "tar+gzip") || strings.Contains(s.artifacts[i], "zstd") {
				t.Errorf("skopeo recompressed: the difference is gone\n%s", s.artifacts[i])
			}
			if !strings.Contains(f.artifacts[i], "tar+zstd") || strings.Contains(f.artifacts[i], "gzip") {
				t.Errorf("ferry did not store zstd layers:\n%s", f.artifacts[i])
			}
			s.artifacts[i], f.artifacts[i] = "", ""
		}
	},
}

// fingerprintWords is what newer skopeo's standalone-verify line adds.
var fingerprintWords = regexp.MustCompile(` using fingerprint [0-9A-F]+, digest `)

// archiveManifest reads the manifest.json line of a tar summary.
func archiveManifest(t *testing.T, summary string) *struct {
	Config   string
	RepoTags []string
	Layers   []string
} {
	t.Helper()
	for _, l := range strings.Split(summary, "\n") {
		if doc, ok := strings.CutPrefix(l, "manifest.json = "); ok {
			var m []struct {
				Config   string
				RepoTags []string
				Layers   []string
			}
			if err := json.Unmarshal([]byte(doc), &m); err != nil || len(m) != 1 {
				t.Errorf("archive manifest.json %q: %v", doc, err)
				return nil
			}
			return &m[0]
		}
	}
	t.Errorf("no manifest.json in the archive:\n%s", summary)
	return nil
}

// documentedDifferences is every difference a case may name.
var documentedDifferences = []difference{
	notFoundExits2, layersData, progressOnStderr, versionNamesFerry, verifyNamesFingerprint,
	usageErrorExits1, noDebrisOnFailure, indexMediaType, archiveKeepsCompression,
	compressFormatHonoured, dockerHostHonoured, preserveDigestsRefusesChange,
}

// TestDifferencesDocumented: every difference a case allows is listed in
// the README's "Differences from skopeo".
func TestDifferencesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Differences from skopeo\n")
	if !ok {
		t.Fatal("README.md has no \"Differences from skopeo\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	section = strings.Join(strings.Fields(section), " ") // phrases may wrap
	known := map[string]bool{}
	for _, d := range documentedDifferences {
		known[d.reason] = true
		if d.readme == "" || !strings.Contains(section, d.readme) {
			t.Errorf("the README's differences lack %q (%s)", d.readme, d.reason)
		}
	}
	for _, c := range append(append([]diffCase{}, diffCases...), daemonCases...) {
		for _, d := range c.differs {
			if !known[d.reason] {
				t.Errorf("case %q names a difference not in documentedDifferences: %s", c.name, d.reason)
			}
		}
	}
}
