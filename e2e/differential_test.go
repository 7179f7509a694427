package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDifferential runs Debian's skopeo 1.9.3 and ferry (installed under
// skopeo's name) on the same inputs against the same registries, and
// compares exit codes, standard output, the artifacts written and the
// stderr phrases scripts grep for. Where ferry departs from skopeo on
// purpose, the case names the difference (diffdifferences_test.go), which
// asserts it is exactly the documented one.
func TestDifferential(t *testing.T) {
	runDiffCases(t, newDiffEnv(t), diffCases)
}

// runDiffCases runs each case with both tools and compares the outcomes.
func runDiffCases(t *testing.T, e *diffEnv, cases []diffCase) {
	names := map[string]bool{}
	for i, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases are called %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			if os.Getenv("FERRY_DIFF_PENDING") == "" {
				if why, ok := notYetImplemented[c.name]; ok {
					t.Skip("not implemented yet: " + why)
				}
			}
			s := e.runCase(t, i, c, "skopeo", e.skopeo)
			if (s.code != 0) != c.failing {
				// The case itself is wrong: it would compare two tools
				// failing (or succeeding) for a reason nobody meant.
				t.Fatalf("skopeo exits %d; the case says it fails: %v\n%s", s.code, c.failing, s.stderr)
			}
			f := e.runCase(t, i, c, "ferry", e.ferry)
			compareOutcomes(t, c, s, f)
		})
	}
}

// notYetImplemented lists the cases where ferry lacks what skopeo does, not
// by choice: each is listed under "Not yet" in the README. FERRY_DIFF_PENDING=1
// runs them anyway.
var notYetImplemented = map[string]string{}

// runCase runs one case for one tool: the case's setup (with skopeo, into
// the tool's own {out} and {repo}), the command, then the artifacts.
func (e *diffEnv) runCase(t *testing.T, i int, c diffCase, tool, bin string) outcome {
	t.Helper()
	out := filepath.Join(t.TempDir(), tool)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	repo := fmt.Sprintf("case%03d-%s", i, tool)
	for _, s := range c.setup {
		if r := e.run(t, e.skopeo, e.expand(strings.Fields(s), repo, out)); r.code != 0 {
			t.Fatalf("setup for %s: skopeo %s: %s", tool, s, r.stderr)
		}
	}
	r := e.runEnv(t, e.expand(c.env, repo, out), bin, e.expand(c.args, repo, out))
	o := outcome{code: r.code, stdout: r.stdout, stderr: r.stderr}
	for _, spec := range e.expand(c.artifacts, repo, out) {
		o.artifacts = append(o.artifacts, e.artifactSummary(t, spec))
	}
	// The tools' own names in their output (repositories, paths) are set
	// back to placeholders, so equal behaviour compares equal.
	back := strings.NewReplacer(out, "{out}", e.reg.host+"/"+repo, "{repo}", repo, "{rname}")
	o.stdout, o.stderr = back.Replace(o.stdout), back.Replace(o.stderr)
	for j := range o.artifacts {
		o.artifacts[j] = back.Replace(o.artifacts[j])
	}
	return o
}

// diffCase is one command run by both tools. Build one with cmd or cp and
// the methods below, one line each.
type diffCase struct {
	name      string
	args      []string // the command line after the program name
	env       []string // NAME=VALUE added to the environment
	setup     []string // commands skopeo runs first, for each tool
	stdout    stdoutMode
	artifacts []string // see artifactSummary
	phrases   []string // both tools' stderr must contain each
	failing   bool     // skopeo is expected to exit non-zero
	differs   []difference
}

// cmd is a case running the space-separated command line.
func cmd(name, line string) diffCase { return diffCase{name: name, args: strings.Fields(line)} }

// cp is a copy case: skopeo prints status lines on stdout, ferry does not.
func cp(name, line string) diffCase {
	return cmd(name, "copy "+line).except(progressOnStderr)
}

func (c diffCase) withEnv(env ...string) diffCase {
	c.env = append(c.env, env...)
	return c
}

// fails marks a case where skopeo fails (an error case), and adds the
// phrases both tools must say.
func (c diffCase) fails(phrases ...string) diffCase {
	c.failing = true
	return c.say(phrases...)
}

func (c diffCase) json() diffCase { c.stdout = sameJSON; return c }

func (c diffCase) want(artifacts ...string) diffCase {
	c.artifacts = append(c.artifacts, artifacts...)
	return c
}

func (c diffCase) say(phrases ...string) diffCase {
	c.phrases = append(c.phrases, phrases...)
	return c
}

func (c diffCase) after(setup ...string) diffCase {
	c.setup = append(c.setup, setup...)
	return c
}

func (c diffCase) except(d ...difference) diffCase {
	c.differs = append(c.differs, d...)
	return c
}

// Shorthands for the fixtures' names.
const (
	regIndex = "docker://{reg}/sample:1" // OCI index, linux/amd64 and linux/arm64
	regList  = "docker://{reg}/dlist:1"  // the same as a Docker manifest list
	regV2    = "docker://{reg}/v2:1"     // one Docker v2s2 image
	regOCI   = "docker://{reg}/oci1:1"   // one OCI image
	authImg  = "docker://{auth}/app:1"   // behind htpasswd (alice)
	tlsImg   = "docker://{tls}/app:1"    // over TLS, CA in {certs}
	noTLS    = "--tls-verify=false "
	srcNoTLS = "--src-tls-verify=false "
	dstNoTLS = "--dest-tls-verify=false "
	seedRepo = "copy --all --dest-tls-verify=false oci:{sample}:latest docker://{repo}:1"
	verifyFx = "{fx}/dir/manifest.json {reg}/v2:1 {fpr} "
)

var diffCases = []diffCase{
	// inspect, every transport as a source
	cmd("inspect index", "inspect "+noTLS+regIndex).json().except(layersData),
	cmd("inspect --raw index", "inspect --raw "+noTLS+regIndex),
	cmd("inspect --config", "inspect --config "+noTLS+regIndex),
	cmd("inspect --config --raw", "inspect --config --raw "+noTLS+regIndex),
	cmd("inspect --format", "inspect --format {{.Digest}}/{{.Os}}/{{.Architecture}}/{{.RepoTags}} "+noTLS+regIndex),
	cmd("inspect -f", "inspect -f {{.Name}}/{{.Os}}/{{.Created}} "+noTLS+regV2),
	cmd("inspect --no-tags", "inspect --no-tags "+noTLS+regIndex).json().except(layersData),
	cmd("inspect -n --raw manifest list", "inspect -n --raw "+noTLS+regList),
	cmd("inspect manifest list", "inspect "+noTLS+regList).json().except(layersData),
	cmd("inspect v2s2", "inspect "+noTLS+regV2).json().except(layersData),
	cmd("inspect --override-arch", "--override-arch arm64 inspect --config "+noTLS+regIndex),
	cmd("inspect --override-os --override-arch", "--override-os linux --override-arch arm64 inspect "+noTLS+regList).json().except(layersData),
	cmd("inspect oci", "inspect oci:{fx}/oci:one").json().except(layersData),
	cmd("inspect --raw oci index", "inspect --raw oci:{fx}/oci:idx"),
	cmd("inspect oci-archive", "inspect oci-archive:{fx}/oci.tar").json().except(layersData),
	cmd("inspect --config --raw oci-archive", "inspect --config --raw oci-archive:{fx}/oci.tar"),
	cmd("inspect docker-archive", "inspect docker-archive:{fx}/docker.tar").json().except(layersData),
	cmd("inspect --raw docker-archive", "inspect --raw docker-archive:{fx}/docker.tar"),
	cmd("inspect dir", "inspect dir:{fx}/dir").json().except(layersData),
	cmd("inspect --config tarball", "inspect --config --raw tarball:{fx}/layer.tar"),
	cmd("inspect --raw tarball", "inspect --raw tarball:{fx}/layer.tar"),
	cmd("inspect --creds", "inspect --creds alice:"+authPassword+" "+noTLS+authImg).json().except(layersData),
	cmd("inspect --username --password", "inspect --username alice --password "+authPassword+" --raw "+noTLS+authImg),
	cmd("inspect --authfile", "inspect --raw --authfile {fx}/auth.json "+noTLS+authImg),
	cmd("inspect --authfile missing, --creds", "inspect --raw --authfile {fx}/none.json --creds alice:"+authPassword+" "+noTLS+authImg),
	cmd("REGISTRY_AUTH_FILE", "inspect --raw "+noTLS+authImg).withEnv("REGISTRY_AUTH_FILE={fx}/auth.json"),
	cmd("list-tags --authfile", "list-tags --authfile {fx}/auth.json "+noTLS+"docker://{auth}/app"),

	// list-tags, manifest-digest
	cmd("list-tags", "list-tags "+noTLS+"docker://{reg}/sample"),
	cmd("list-tags --creds", "list-tags --creds alice:"+authPassword+" "+noTLS+"docker://{auth}/app"),
	cmd("list-tags docker-archive", "list-tags docker-archive:{fx}/docker.tar"),
	cmd("list-tags docker-archive compressed", "list-tags docker-archive:{fx}/docker.tar.xz"),
	cmd("list-tags with a tag", "list-tags "+noTLS+regIndex).fails(),
	cmd("list-tags oci", "list-tags oci:{fx}/oci").fails(),
	cmd("manifest-digest image", "manifest-digest {fx}/dir/manifest.json"),
	cmd("manifest-digest index", "manifest-digest {sample}/index.json"),

	// signatures
	cmd("standalone-verify", "standalone-verify "+verifyFx+"{fx}/signature").except(verifyNamesFingerprint),
	cmd("standalone-verify wrong reference", "standalone-verify {fx}/dir/manifest.json {reg}/other:1 {fpr} {fx}/signature").fails("does not match"),
	cmd("untrusted-signature-dump", "untrusted-signature-dump-without-verification {fx}/signature").json(),
	cmd("standalone-sign", "standalone-sign "+verifyFx+"-o {out}/sig").want("verify:" + verifyFx + "{out}/sig"),

	// delete
	cmd("delete", "delete "+noTLS+"docker://{repo}:1").after(seedRepo).want("manifest:docker://{repo}:1"),
	cmd("delete oci is refused", "delete oci:{out}/l:x").after("copy oci:{sample}:latest oci:{out}/l:x").want("tree:{out}/l").fails(),
	cmd("delete dir is refused", "delete dir:{fx}/dir").fails(),

	// copy, each transport as a source and a destination
	cp("docker v2s2 to dir", srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("docker oci to dir", srcNoTLS+regOCI+" dir:{out}/d").want("tree:{out}/d"),
	cp("docker index to dir", srcNoTLS+regIndex+" dir:{out}/d").want("tree:{out}/d"),
	cp("docker list to dir", srcNoTLS+regList+" dir:{out}/d").want("tree:{out}/d"),
	cp("docker oci to oci", srcNoTLS+regOCI+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("docker v2s2 to oci", srcNoTLS+regV2+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("docker oci to oci-archive", srcNoTLS+regOCI+" oci-archive:{out}/a.tar").want("tar:{out}/a.tar").except(indexMediaType),
	cp("docker v2s2 to oci-archive", srcNoTLS+regV2+" oci-archive:{out}/a.tar").want("tar:{out}/a.tar").except(indexMediaType),
	cp("docker v2s2 to docker-archive", srcNoTLS+regV2+" docker-archive:{out}/a.tar:app/x:1").want("tar:{out}/a.tar").except(archiveKeepsCompression),
	cp("docker oci to docker-archive", srcNoTLS+regOCI+" docker-archive:{out}/a.tar:app/x:1").want("tar:{out}/a.tar").except(archiveKeepsCompression),
	cp("docker to docker", srcNoTLS+dstNoTLS+regV2+" docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("--all index to docker", "--all "+srcNoTLS+dstNoTLS+regIndex+" docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("--all list to oci", "--all "+srcNoTLS+regList+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("--all index to dir", "--all "+srcNoTLS+regIndex+" dir:{out}/d").want("tree:{out}/d"),
	cp("--multi-arch all", "--multi-arch all "+srcNoTLS+regIndex+" dir:{out}/d").want("tree:{out}/d"),
	cp("--multi-arch index-only", "--multi-arch index-only "+srcNoTLS+regIndex+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("--multi-arch index-only to a registry", "--multi-arch index-only "+srcNoTLS+dstNoTLS+regIndex+" docker://{repo}:1").fails(),
	cp("oci to docker", dstNoTLS+"oci:{fx}/oci:one docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("oci to dir", "oci:{fx}/oci:one dir:{out}/d").want("tree:{out}/d"),
	cp("oci-archive to dir", "oci-archive:{fx}/oci.tar dir:{out}/d").want("tree:{out}/d"),
	cp("oci-archive to oci", "oci-archive:{fx}/oci.tar oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("docker-archive to dir", "docker-archive:{fx}/docker.tar dir:{out}/d").want("tree:{out}/d"),
	cp("docker-archive xz to dir", "docker-archive:{fx}/docker.tar.xz dir:{out}/d").want("tree:{out}/d"),
	cp("docker-archive @0 to dir", "docker-archive:{fx}/docker.tar:@0 dir:{out}/d").want("tree:{out}/d"),
	cp("oci-archive zstd to oci", "oci-archive:{fx}/oci.tar.zst oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("docker-archive to docker", dstNoTLS+"docker-archive:{fx}/docker.tar docker://{repo}:1").want("pushed:docker://{repo}:1"),
	cp("dir to docker", dstNoTLS+"dir:{fx}/dir docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("dir to oci", "dir:{fx}/dir oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("dir to docker-archive", "dir:{fx}/dir docker-archive:{out}/a.tar:app/x:1").want("tar:{out}/a.tar").except(archiveKeepsCompression),
	cp("tarball to dir", "tarball:{fx}/layer.tar dir:{out}/d").want("tree:{out}/d"),

	// copy flags
	cp("--format v2s2", "--format v2s2 "+dstNoTLS+"oci:{fx}/oci:one docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("-f oci", "-f oci "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--format oci to oci", "--format oci "+srcNoTLS+regV2+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("--dest-compress-format zstd to oci", "--dest-compress-format zstd "+srcNoTLS+regV2+" oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("--dest-compress --dest-compress-format zstd", "--dest-compress --dest-compress-format zstd "+srcNoTLS+regOCI+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dest-compress-format zstd --dest-compress-level", "--dest-compress --dest-compress-format zstd --dest-compress-level 3 "+srcNoTLS+regOCI+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dest-compress-format zstd to dir", "--dest-compress-format zstd "+srcNoTLS+regOCI+" dir:{out}/d").want("manifest:dir:{out}/d").except(compressFormatHonoured),
	cp("--dest-decompress", "--dest-decompress "+srcNoTLS+regOCI+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dest-compress", "--dest-compress dir:{out}/u dir:{out}/d").after("copy --dest-decompress oci:{fx}/oci:one dir:{out}/u").want("tree:{out}/d"),
	cp("--preserve-digests", "--preserve-digests "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--preserve-digests with --format", "--preserve-digests --format oci "+srcNoTLS+regV2+" dir:{out}/d").except(preserveDigestsRefusesChange),
	cp("--additional-tag", "--additional-tag app/y:2 "+srcNoTLS+regV2+" docker-archive:{out}/a.tar:app/x:1").want("tar:{out}/a.tar").except(archiveKeepsCompression),
	cp("--digestfile", "--digestfile {out}/digest "+srcNoTLS+regIndex+" dir:{out}/d").want("file:{out}/digest"),
	cp("--all --digestfile", "--all --digestfile {out}/digest "+srcNoTLS+dstNoTLS+regIndex+" docker://{repo}:1").want("file:{out}/digest"),
	cp("--remove-signatures", "--remove-signatures dir:{out}/s dir:{out}/d").after("copy --src-tls-verify=false docker://{reg}/v2:1 dir:{out}/s").want("tree:{out}/d"),
	cp("--sign-by into dir: without an identity", "--sign-by {fpr} "+srcNoTLS+regV2+" dir:{out}/d").fails(),
	cmd("--quiet", "copy --quiet "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cmd("-q", "copy -q "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--src-authfile", "--src-authfile {fx}/auth.json "+srcNoTLS+authImg+" dir:{out}/d").want("tree:{out}/d"),
	cp("--authfile for both", "--authfile {fx}/auth.json "+srcNoTLS+dstNoTLS+authImg+" docker://{auth}/{rname}:1"),
	cp("--src-username --src-password", "--src-username alice --src-password "+authPassword+" "+srcNoTLS+authImg+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dest-username --dest-password", "--dest-username alice --dest-password "+authPassword+" "+dstNoTLS+"dir:{fx}/dir docker://{auth}/{rname}:1"),
	cp("--src-creds", "--src-creds alice:"+authPassword+" "+srcNoTLS+authImg+" dir:{out}/d").want("tree:{out}/d"),
	cp("--screds (skopeo's hidden alias)", "--screds alice:"+authPassword+" "+srcNoTLS+authImg+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dcreds (skopeo's hidden alias)", "--dcreds alice:"+authPassword+" "+dstNoTLS+"dir:{fx}/dir docker://{auth}/{rname}:1"),
	cp("--tls-verify (deprecated)", "--tls-verify=false "+regV2+" dir:{out}/d").want("tree:{out}/d").say("'--tls-verify' is deprecated, instead use: --src-tls-verify, --dest-tls-verify"),
	cp("--src-no-creds", "--src-no-creds "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--retry-times", "--retry-times 2 "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--src-registry-token", "--src-registry-token opaque "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cp("--src-cert-dir", "--src-cert-dir {certs} "+tlsImg+" dir:{out}/d").want("tree:{out}/d"),
	cp("--dest-cert-dir", "--dest-cert-dir {certs} dir:{fx}/dir docker://{tls}/{rname}:1").want("manifest:docker://{tls}/{rname}:1"),
	cp("--dest-precompute-digests", "--dest-precompute-digests "+dstNoTLS+"dir:{fx}/dir docker://{repo}:1").want("manifest:docker://{repo}:1"),
	cp("--dest-oci-accept-uncompressed-layers", "--dest-oci-accept-uncompressed-layers oci:{fx}/oci:one oci:{out}/l:x").want("tree:{out}/l").except(indexMediaType),
	cp("--dest-shared-blob-dir", "--dest-shared-blob-dir {out}/shared oci:{fx}/oci:one oci:{out}/l:x").want("tree:{out}/l", "tree:{out}/shared").except(indexMediaType),
	cp("--src-shared-blob-dir", "--src-shared-blob-dir {out}/shared oci:{out}/l:x dir:{out}/d").after("copy --dest-shared-blob-dir {out}/shared oci:{fx}/oci:one oci:{out}/l:x").want("tree:{out}/d"),
	cp("--sign-identity", "--sign-by {fpr} --sign-identity {reg}/other:2 "+srcNoTLS+regV2+" dir:{out}/d").want("verify:{out}/d/manifest.json {reg}/other:2 {fpr} {out}/d/signature-1"),
	cp("--sign-passphrase-file", "--sign-by {fpr} --sign-identity {reg}/v2:1 --sign-passphrase-file {fx}/passphrase "+srcNoTLS+regV2+" dir:{out}/d").want("verify:{out}/d/manifest.json {reg}/v2:1 {fpr} {out}/d/signature-1"),
	cp("--tmpdir", "--tmpdir {out} "+srcNoTLS+regV2+" docker-archive:{out}/a.tar:app/x:1").want("tar:{out}/a.tar").except(archiveKeepsCompression),
	cp("--command-timeout", "--command-timeout 2m "+srcNoTLS+regV2+" dir:{out}/d").want("tree:{out}/d"),
	cmd("global flags before the command", "--command-timeout 2m --override-os linux --override-arch arm64 --override-variant v8 inspect --raw "+noTLS+regIndex),
	cmd("inspect --cert-dir", "inspect --raw --cert-dir {certs} "+tlsImg),
	cmd("inspect --registry-token", "inspect --raw --registry-token opaque "+noTLS+regV2),
	cmd("inspect --retry-times", "inspect --raw --retry-times 2 "+noTLS+regV2),
	cmd("inspect --no-creds", "inspect --raw --no-creds "+noTLS+regV2),
	cmd("list-tags --no-creds", "list-tags --no-creds "+noTLS+"docker://{reg}/sample"),
	cmd("list-tags --cert-dir", "list-tags --cert-dir {certs} docker://{tls}/app"),
	cmd("untrusted TLS certificate", "inspect --raw "+tlsImg).fails("certificate signed by unknown authority"),

	// errors
	cmd("missing tag", "inspect "+noTLS+"docker://{reg}/sample:nope").except(notFoundExits2).fails("manifest unknown"),
	cmd("missing repository", "inspect "+noTLS+"docker://{reg}/nothing:1").except(notFoundExits2).fails("manifest unknown"),
	cmd("missing digest", "inspect "+noTLS+"docker://{reg}/sample@sha256:0000000000000000000000000000000000000000000000000000000000000000").except(notFoundExits2).fails("manifest unknown"),
	cp("copy missing tag", srcNoTLS+"docker://{reg}/sample:nope dir:{out}/d").except(notFoundExits2).fails("manifest unknown").want("tree:{out}/d").except(noDebrisOnFailure),
	cmd("list-tags missing repository", "list-tags "+noTLS+"docker://{reg}/nothing").except(notFoundExits2).fails(),
	cmd("delete missing tag", "delete "+noTLS+"docker://{reg}/sample:nope").except(notFoundExits2).fails(),
	cmd("missing oci layout", "inspect oci:{out}/none:x").except(notFoundExits2).fails(),
	cmd("missing docker-archive", "inspect docker-archive:{out}/none.tar").except(notFoundExits2).fails(),
	cmd("missing dir", "inspect dir:{out}/none").except(notFoundExits2).fails(),
	cmd("missing platform in index", "--override-arch s390x inspect "+noTLS+regIndex).fails("choosing image instance: no image found in image index for architecture s390x"),
	cmd("missing platform in list", "--override-arch s390x inspect "+noTLS+regList).fails("choosing image instance: no image found in manifest list for architecture s390x"),
	cp("copy missing platform", "--override-arch s390x "+srcNoTLS+regList+" dir:{out}/d").fails("no image found in manifest list for architecture s390x").want("tree:{out}/d").except(noDebrisOnFailure),
	cmd("wrong password", "inspect --creds alice:wrong-pass "+noTLS+authImg).fails("authentication required"),
	cmd("no credentials", "inspect "+noTLS+authImg).fails("authentication required"),
	cmd("list-tags wrong password", "list-tags --creds alice:wrong-pass "+noTLS+"docker://{auth}/app").fails("authentication required"),
	cp("copy wrong password", "--src-creds alice:wrong-pass "+srcNoTLS+authImg+" dir:{out}/d").fails("authentication required"),
	cp("copy wrong destination password", "--dest-creds alice:wrong-pass "+dstNoTLS+"dir:{fx}/dir docker://{auth}/{rname}:1").fails("authentication required"),
	cp("copy without destination credentials", dstNoTLS+"dir:{fx}/dir docker://{auth}/{rname}:1").fails("authentication required"),
	cmd("creds and no-creds", "inspect --creds a:b --no-creds "+noTLS+authImg).fails(),
	cmd("uppercase repository", "inspect "+noTLS+"docker://{reg}/Sample:1").fails("invalid reference format"),
	cmd("bad tag", "inspect "+noTLS+"docker://{reg}/sample:b@d").fails("invalid reference format"),
	cmd("bad digest", "inspect "+noTLS+"docker://{reg}/sample@sha256:abc").fails(),
	cmd("docker: without //", "inspect "+noTLS+"docker:{reg}/sample:1").fails(),
	cmd("empty name", "inspect docker://").fails(),
	cmd("missing tag in oci layout", "inspect oci:{fx}/oci:nope").except(notFoundExits2).fails(),
	cmd("missing oci-archive", "inspect oci-archive:{out}/none.tar").except(notFoundExits2).fails(),
	cmd("unknown transport", "inspect nosuch:thing").fails(`unknown transport "nosuch"`),
	cmd("no transport", "inspect sample").fails(),
	cp("existing docker-archive", srcNoTLS+regV2+" docker-archive:{out}/a.tar:app/x:1").after("copy --src-tls-verify=false docker://{reg}/oci1:1 docker-archive:{out}/a.tar:app/x:1").
		fails("docker-archive doesn't support modifying existing images").want("tar:{out}/a.tar"),
	cmd("missing argument", "inspect").fails(),
	cmd("extra argument", "copy a b c").except(usageErrorExits1),
	cmd("unknown flag", "inspect --no-such-flag "+regIndex).fails(),
	cmd("manifest-digest missing file", "manifest-digest {out}/none.json").fails(),
	cmd("standalone-verify bad signature", "standalone-verify "+verifyFx+"{fx}/dir/manifest.json").fails(),
	cmd("--version", "--version").except(versionNamesFerry),
}
