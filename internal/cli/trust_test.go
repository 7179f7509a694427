package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/signature"
)

// gpgHome is a temporary GNUPGHOME with generated keys, for tests that
// sign with the real gpg and check with the real skopeo.
type gpgHome struct {
	t    *testing.T
	home string
}

func newGPGHome(t *testing.T) *gpgHome {
	t.Helper()
	testenv.NeedCommand(t, "gpg")
	// A short path: gpg-agent's socket path must fit in sockaddr_un.
	home, err := os.MkdirTemp("/tmp", "fg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	g := &gpgHome{t: t, home: home}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	return g
}

func (g *gpgHome) gpg(stdin []byte, args ...string) []byte {
	g.t.Helper()
	cmd := exec.Command("gpg", append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		g.t.Fatalf("gpg %v: %v\n%s", args, err, stderr.String())
	}
	return out.Bytes()
}

// key generates a key for uid (expire as gpg takes it: "never", "1d"; with
// faked, at that faked system time) and returns its fingerprint.
func (g *gpgHome) key(uid, expire string, faked string) string {
	g.t.Helper()
	args := []string{"--quick-gen-key", uid, "ed25519", "sign", expire}
	if faked != "" {
		args = append([]string{"--faked-system-time", faked}, args...)
	}
	g.gpg(nil, args...)
	for _, l := range strings.Split(string(g.gpg(nil, "--with-colons", "--list-keys", uid)), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			return strings.Split(l, ":")[9]
		}
	}
	g.t.Fatalf("no fingerprint for %s", uid)
	return ""
}

func (g *gpgHome) export(dir, fpr string, secret bool) string {
	g.t.Helper()
	cmd, name := "--export", "pub.asc"
	if secret {
		cmd, name = "--export-secret-keys", "sec.asc"
	}
	p := filepath.Join(dir, fpr[len(fpr)-8:]+"-"+name)
	if err := os.WriteFile(p, g.gpg(nil, "--armor", cmd, fpr), 0o600); err != nil {
		g.t.Fatal(err)
	}
	return p
}

func skopeoBin(t *testing.T) string {
	t.Helper()
	return testenv.NeedCommand(t, "skopeo")
}

func runSkopeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(skopeoBin(t), args...).CombinedOutput()
	return string(out), err
}

func writePolicy(t *testing.T, dir, name, doc string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// signedByPolicy requires, for dir: images, a signature by the key in
// keyPath for identity (dir: images carry no Docker name of their own).
func signedByPolicy(keyPath, identity string) string {
	return `{"default":[{"type":"reject"}],"transports":{"dir":{"":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + keyPath +
		`","signedIdentity":{"type":"exactReference","dockerReference":"` + identity + `"}}]}}}`
}

const sample = "oci:../../testdata/sample:latest"

// TestSigningWithSkopeo: ferry signs (gpg and key file) and skopeo
// verifies; skopeo signs and ferry verifies and copies the signature on;
// and every refusal leaves the destination absent or unchanged.
func TestSigningWithSkopeo(t *testing.T) {
	g := newGPGHome(t)
	skopeoBin(t)
	dir := t.TempDir()
	const id = "registry.example.com/app:1"
	fpr := g.key("ferry test <test@example.com>", "never", "")
	pub := g.export(dir, fpr, false)
	sec := g.export(dir, fpr, true)
	pol := writePolicy(t, dir, "policy.json", signedByPolicy(pub, id))

	ferry := func(args ...string) (string, string, int) { return runCLI(t, args...) }
	mustFerry := func(args ...string) string {
		t.Helper()
		out, errs, code := ferry(args...)
		if code != 0 {
			t.Fatalf("ferry %v: exit %d: %s", args, code, errs)
		}
		return out
	}
	mustSkopeo := func(args ...string) string {
		t.Helper()
		out, err := runSkopeo(t, args...)
		if err != nil {
			t.Fatalf("skopeo %v: %v\n%s", args, err, out)
		}
		return out
	}

	// ferry signs through gpg; skopeo verifies the signature alone and
	// copies the image under a signedBy policy.
	gpgSigned := filepath.Join(dir, "gpg-signed")
	mustFerry("--insecure-policy", "copy", "-q", "--sign-by", fpr, "--sign-identity", id, sample, "dir:"+gpgSigned)
	out := mustSkopeo("standalone-verify", gpgSigned+"/manifest.json", id, fpr, gpgSigned+"/signature-1")
	// skopeo 1.9.3 prints "Signature verified, digest ..."; later
	// versions add "using fingerprint FPR" as ferry does.
	if !strings.HasPrefix(out, "Signature verified") || !strings.Contains(out, "digest sha256:") {
		t.Errorf("skopeo standalone-verify: %s", out)
	}
	mustSkopeo("--policy", pol, "copy", "dir:"+gpgSigned, "dir:"+filepath.Join(dir, "skopeo-copied"))

	// ferry signs with the exported key in pure Go; skopeo agrees.
	keySigned := filepath.Join(dir, "key-signed")
	mustFerry("--insecure-policy", "copy", "-q", "--sign-by-key", sec, "--sign-identity", id, sample, "dir:"+keySigned)
	mustSkopeo("standalone-verify", keySigned+"/manifest.json", id, fpr, keySigned+"/signature-1")
	mustSkopeo("--policy", pol, "copy", "dir:"+keySigned, "dir:"+filepath.Join(dir, "skopeo-copied-2"))

	// skopeo signs; ferry verifies (gpg's keyring, and a key file with
	// "any") and copies the image with its signature under the policy.
	skSigned := filepath.Join(dir, "skopeo-signed")
	mustSkopeo("--insecure-policy", "copy", "--sign-by", fpr, "--sign-identity", id, sample, "dir:"+skSigned)
	out = mustFerry("standalone-verify", skSigned+"/manifest.json", id, fpr, skSigned+"/signature-1")
	if !strings.HasPrefix(out, "Signature verified using fingerprint "+fpr+", digest sha256:") {
		t.Errorf("ferry standalone-verify: %q", out)
	}
	mustFerry("standalone-verify", "--public-key-file", pub, skSigned+"/manifest.json", id, "any", skSigned+"/signature-1")
	copied := filepath.Join(dir, "ferry-copied")
	mustFerry("--policy", pol, "copy", "-q", "dir:"+skSigned, "dir:"+copied)
	want, _ := os.ReadFile(skSigned + "/signature-1")
	if got, err := os.ReadFile(copied + "/signature-1"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the signature was not copied on: %v", err)
	}
	dump := mustFerry("untrusted-signature-dump-without-verification", skSigned+"/signature-1")
	skDump := mustSkopeo("untrusted-signature-dump-without-verification", skSigned+"/signature-1")
	if dump != skDump {
		t.Errorf("signature dump differs from skopeo's:\nferry:  %s\nskopeo: %s", dump, skDump)
	}
	// skopeo standalone-sign, ferry standalone-verify, and the reverse.
	mustSkopeo("standalone-sign", gpgSigned+"/manifest.json", id, fpr, "-o", filepath.Join(dir, "sk.sig"))
	mustFerry("standalone-verify", gpgSigned+"/manifest.json", id, fpr, filepath.Join(dir, "sk.sig"))
	mustFerry("standalone-sign", gpgSigned+"/manifest.json", id, fpr, "-o", filepath.Join(dir, "fe.sig"))
	mustSkopeo("standalone-verify", gpgSigned+"/manifest.json", id, fpr, filepath.Join(dir, "fe.sig"))

	// Refusals. Each variant is a copy of the signed image with one thing
	// wrong; the copy must exit 1 with one line and write nothing.
	otherFpr := g.key("other <other@example.com>", "never", "")
	otherPub := g.export(dir, otherFpr, false)
	expFpr := g.key("expired <expired@example.com>", "1d", "20200101T000000")
	expPub := g.export(dir, expFpr, false)
	variant := func(name string, mutate func(dst string)) string {
		d := filepath.Join(dir, "variants", name)
		mustFerry("--insecure-policy", "copy", "-q", "dir:"+gpgSigned, "dir:"+d)
		mutate(d)
		return "dir:" + d
	}
	tampered := variant("tampered", func(d string) {
		b, _ := os.ReadFile(d + "/signature-1")
		b[len(b)/2] ^= 0x40
		os.WriteFile(d+"/signature-1", b, 0o644)
	})
	wrongDigest := variant("wrong-digest", func(d string) {
		sig, err := signature.SignManifest(context.Background(), &signature.GPG{Fingerprint: fpr}, []byte(`{"schemaVersion":2}`), id)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(d+"/signature-1", sig, 0o644)
	})
	fakedGPG := filepath.Join(dir, "gpg-2020")
	os.WriteFile(fakedGPG, []byte("#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 \"$@\"\n"), 0o755)
	expired := variant("expired", func(d string) {
		man, _ := os.ReadFile(d + "/manifest.json")
		sig, err := signature.SignManifest(context.Background(), &signature.GPG{Fingerprint: expFpr, Program: fakedGPG}, man, id)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(d+"/signature-1", sig, 0o644)
	})
	unsigned := filepath.Join(dir, "unsigned")
	mustFerry("--insecure-policy", "copy", "-q", sample, "dir:"+unsigned)
	for _, tc := range []struct {
		name, policy, src, want string
	}{
		{"wrong key", signedByPolicy(otherPub, id), "dir:" + gpgSigned, "Source image rejected: Invalid GPG signature"},
		{"expired key", signedByPolicy(expPub, id), expired, "has expired"},
		{"tampered payload", signedByPolicy(pub, id), tampered, "Source image rejected: Invalid GPG signature"},
		{"wrong digest", signedByPolicy(pub, id), wrongDigest, "does not match"},
		{"wrong identity", signedByPolicy(pub, "registry.example.com/other:1"), "dir:" + gpgSigned, `Signature for identity "` + id + `" is not accepted`},
		{"no signature", signedByPolicy(pub, id), "dir:" + unsigned, "A signature was required, but no signature exists"},
		{"reject", `{"default":[{"type":"reject"}]}`, sample, "is rejected by policy."},
		{"unknown field", `{"default":[{"type":"insecureAcceptAnything"}],"defualt":[]}`, sample, `Unknown key "defualt"`},
		{"duplicate field", `{"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]}`, sample, `Duplicate key "default"`},
		{"missing default", `{"transports":{}}`, sample, "Default policy is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writePolicy(t, t.TempDir(), "policy.json", tc.policy)
			dst := filepath.Join(t.TempDir(), "dst")
			_, errs, code := runCLI(t, "--policy", p, "copy", "-q", tc.src, "dir:"+dst)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errs)
			}
			wantOneLine(t, errs, tc.want)
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("the destination exists after a refusal: %v", err)
			}
		})
	}

	// A refused copy leaves an existing destination unchanged.
	before, _ := os.ReadFile(copied + "/manifest.json")
	p := writePolicy(t, dir, "reject.json", `{"default":[{"type":"reject"}]}`)
	if _, errs, code := runCLI(t, "--policy", p, "copy", "-q", "--sign-by-key", sec, "--sign-identity", id, sample, "dir:"+copied); code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if after, _ := os.ReadFile(copied + "/manifest.json"); !bytes.Equal(before, after) {
		t.Error("a refused copy changed the destination")
	}

	// standalone-verify refusals.
	for _, args := range [][]string{
		{gpgSigned + "/manifest.json", "registry.example.com/other:1", fpr, gpgSigned + "/signature-1"},
		{gpgSigned + "/manifest.json", id, otherFpr, gpgSigned + "/signature-1"},
		{skSigned + "/manifest.json", id, fpr, filepath.Join(dir, "variants/tampered/signature-1")},
	} {
		if _, errs, code := runCLI(t, append([]string{"standalone-verify"}, args...)...); code != 1 {
			t.Errorf("standalone-verify %v: exit %d, want 1", args, code)
		} else {
			wantOneLine(t, errs, "Error verifying signature")
		}
	}
}

// TestNoPolicyFile: with no policy file anywhere, the README's first
// command works (ferry accepts anything, as distributions' policies do).
func TestNoPolicyFile(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	var out, errb bytes.Buffer
	a := newApp(&out, &errb)
	a.global.policyLocations = policy.Locations{
		Getenv: func(k string) string {
			if k == "HOME" {
				return empty
			}
			return ""
		},
		System: []string{filepath.Join(empty, "etc/containers/policy.json"), filepath.Join(empty, "usr/share/containers/policy.json")},
	}
	dst := filepath.Join(t.TempDir(), "out")
	if code := a.run(context.Background(), []string{"--debug", "copy", "-q", sample, "dir:" + dst}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "no trust policy file found") {
		t.Errorf("--debug does not say no policy was found: %s", errb.String())
	}
	if _, err := os.Stat(filepath.Join(dst, "manifest.json")); err != nil {
		t.Error(err)
	}
}

// TestSigningPassphrasesAndIdentity: a passphrase-protected key signs with
// the right --sign-passphrase-file (through gpg's loopback pinentry, and
// as an exported key file), a wrong one is one line and exit 1, and a
// destination with no Docker name needs --sign-identity.
func TestSigningPassphrasesAndIdentity(t *testing.T) {
	g := newGPGHome(t)
	dir := t.TempDir()
	const uid = "protected <protected@example.com>"
	cmd := exec.Command("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "right horse", "--quick-gen-key", uid, "ed25519", "sign", "never")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpg: %v\n%s", err, out)
	}
	var fpr string
	for _, l := range strings.Split(string(g.gpg(nil, "--with-colons", "--list-keys", uid)), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fpr = strings.Split(l, ":")[9]
			break
		}
	}
	cmd = exec.Command("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "right horse", "--armor", "--export-secret-keys", fpr)
	secret, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sec := filepath.Join(dir, "sec.asc")
	right, wrong := filepath.Join(dir, "right"), filepath.Join(dir, "wrong")
	os.WriteFile(sec, secret, 0o600)
	os.WriteFile(right, []byte("right horse\n"), 0o600)
	os.WriteFile(wrong, []byte("battery staple\n"), 0o600)
	const id = "registry.example.com/app:1"

	for _, tc := range []struct {
		name string
		args []string
		want string // "" for success
	}{
		{"gpg wrong passphrase", []string{"--sign-by", fpr, "--sign-passphrase-file", wrong, "--sign-identity", id}, "signing with gpg key"},
		{"gpg right passphrase", []string{"--sign-by", fpr, "--sign-passphrase-file", right, "--sign-identity", id}, ""},
		{"key file wrong passphrase", []string{"--sign-by-key", sec, "--sign-passphrase-file", wrong, "--sign-identity", id}, "wrong passphrase"},
		{"key file right passphrase", []string{"--sign-by-key", sec, "--sign-passphrase-file", right, "--sign-identity", id}, ""},
		{"no identity", []string{"--sign-by-key", sec, "--sign-passphrase-file", right}, "Cannot determine canonical Docker reference for destination dir:"},
		{"bad identity", []string{"--sign-by-key", sec, "--sign-passphrase-file", right, "--sign-identity", "app"}, "Could not parse --sign-identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			args := append([]string{"--insecure-policy", "copy", "-q"}, tc.args...)
			_, errs, code := runCLI(t, append(args, sample, "dir:"+dst)...)
			if tc.want == "" {
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				if out, err := runSkopeo(t, "standalone-verify", dst+"/manifest.json", id, fpr, dst+"/signature-1"); err != nil {
					t.Errorf("skopeo does not verify the signature: %v\n%s", err, out)
				}
				return
			}
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errs)
			}
			wantOneLine(t, errs, tc.want)
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("the destination exists after a refusal: %v", err)
			}
		})
	}
}
