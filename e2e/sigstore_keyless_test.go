package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testsigstore"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/opencontainers/go-digest"
)

// Keyless (Fulcio + Rekor) sigstore signatures verified offline. Fulcio
// and Rekor are online services this machine and CI cannot reach, so the
// test stands in for them: a CA it makes issues the certificate (as
// Fulcio would after an OpenID Connect login), and a log key it makes
// signs the entry (as Rekor would when cosign uploads). cosign itself
// signs, with that certificate and the key it certifies, in both of its
// forms; only the log entry cosign cannot fetch offline is added by the
// test to what cosign wrote.

// keylessEnv is a sigstoreEnv with a stand-in Fulcio and Rekor.
type keylessEnv struct {
	*sigstoreEnv
	key            string // ferry-generated key prefix the certificate certifies
	cert, caPEM    string // files: the certificate, the CA
	otherCA, rekor string // files: another CA, the log's public key
	otherRekor     string // file: another log's public key
	trustedRoot    string // file: the CA and log as cosign's --trusted-root
	log            *testsigstore.RekorLog
	signed         time.Time
}

func newKeylessEnv(t *testing.T) *keylessEnv {
	t.Helper()
	e := &keylessEnv{sigstoreEnv: newSigstoreEnv(t), log: testsigstore.NewRekorLog(t), signed: time.Now()}
	e.key = filepath.Join(e.dir, "k")
	ferry(t, 0, "generate-sigstore-key", "--output-prefix", e.key, "--passphrase-file", e.pass)
	pubPEM, err := os.ReadFile(e.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sigstore.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	ca := testsigstore.NewFulcioCA(t)
	e.cert = e.write(t, filepath.Join(e.dir, "cert.pem"), string(ca.Issue(t, pub, "me@example.com", "https://issuer.example", e.signed.Add(-time.Minute))))
	e.caPEM = e.write(t, filepath.Join(e.dir, "ca.pem"), string(ca.PEM))
	e.otherCA = e.write(t, filepath.Join(e.dir, "other-ca.pem"), string(testsigstore.NewFulcioCA(t).PEM))
	e.rekor = e.write(t, filepath.Join(e.dir, "rekor.pub"), string(e.log.PublicPEM(t)))
	e.otherRekor = e.write(t, filepath.Join(e.dir, "other-rekor.pub"), string(testsigstore.NewRekorLog(t).PublicPEM(t)))
	e.trustedRoot = e.write(t, filepath.Join(e.dir, "trusted-root.json"), string(testsigstore.TrustedRoot(t, ca, e.log)))
	return e
}

// fulcioPolicy requires, for the registry's images, a signature whose
// certificate ca issued to email by issuer, logged by rekor.
func (e *keylessEnv) fulcioPolicy(t *testing.T, ca, issuer, email, rekor string) string {
	t.Helper()
	req := `{"type":"sigstoreSigned","fulcio":{"caPath":` + strconv.Quote(ca) + `,"oidcIssuer":` + strconv.Quote(issuer) + `,"subjectEmail":` + strconv.Quote(email) +
		`},"rekorPublicKeyPath":` + strconv.Quote(rekor) + `,"signedIdentity":{"type":"matchRepository"}}`
	return e.write(t, filepath.Join(t.TempDir(), "policy.json"), `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{`+strconv.Quote(e.reg.host)+`:[`+req+`]}}}`)
}

// refusals checks that each policy refuses the copy of repo:1 with one
// sentence holding its reason, exit 1, and writes nothing.
func (e *keylessEnv) refusals(t *testing.T, repo string, cases map[string]struct{ policy, want string }) {
	t.Helper()
	for name, tc := range cases {
		dst := filepath.Join(t.TempDir(), "refused")
		r := ferry(t, 1, "--policy", tc.policy, "--registries.d", e.regsD, "copy", "-q", "--src-tls-verify=false", "docker://"+e.reg.host+"/"+repo+":1", "dir:"+dst)
		oneLine(t, r)
		if !strings.Contains(r.stderr, "Source image rejected: ") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: %s, want %q", name, r.stderr, tc.want)
		}
		if _, err := os.Stat(dst); err == nil {
			t.Errorf("%s: the refused copy wrote %s", name, dst)
		}
	}
}

// TestFerryVerifiesCosignKeylessSig: cosign signs with a certificate (its
// legacy .sig tag form: certificate and chain annotations), the stand-in
// Rekor's SET is added as cosign would have got it, and ferry's fulcio
// policy accepts the image; another issuer, e-mail, CA or log, and an
// entry logged after the certificate expired, are refused.
func TestFerryVerifiesCosignKeylessSig(t *testing.T) {
	e := newKeylessEnv(t)
	d := e.push(t, "app")
	if r := e.cosignRun(t, "sign", "--key", e.key+".private", "--certificate", e.cert, "--certificate-chain", e.caPEM, e.reg.host+"/app@"+d); r.code != 0 {
		t.Fatalf("cosign sign --certificate: %s", r.stderr)
	}
	tag := strings.Replace(d, ":", "-", 1) + ".sig"
	logAt := func(at time.Time) {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(e.manifest(t, "app", tag), &m); err != nil {
			t.Fatalf("cosign's .sig manifest: %v", err)
		}
		layer := m["layers"].([]any)[0].(map[string]any)
		ann := layer["annotations"].(map[string]any)
		cert, _ := ann[sigstore.CertificateAnnotation].(string)
		if !strings.Contains(cert, "BEGIN CERTIFICATE") {
			t.Fatalf("cosign wrote no certificate annotation: %v", ann)
		}
		payload := e.blob(t, "app", layer["digest"].(string))
		ann[sigstore.BundleAnnotation] = e.log.SET(t, []byte(cert), ann[sigstore.SignatureAnnotation].(string), payload, at)
		b, _ := json.Marshal(m)
		e.putManifestAs(t, "app", tag, "application/vnd.oci.image.manifest.v1+json", b)
	}
	logAt(e.signed)
	e.cosignVerifies(t, "app@"+d)
	good := e.fulcioPolicy(t, e.caPEM, "https://issuer.example", "me@example.com", e.rekor)
	ferry(t, 0, "--policy", good, "--registries.d", e.regsD, "copy", "-q", "--src-tls-verify=false", "docker://"+e.reg.host+"/app:1", "dir:"+filepath.Join(t.TempDir(), "ok"))
	e.refusals(t, "app", map[string]struct{ policy, want string }{
		"another issuer": {e.fulcioPolicy(t, e.caPEM, "https://other.example", "me@example.com", e.rekor), `Unexpected Fulcio OIDC issuer "https://issuer.example"`},
		"another e-mail": {e.fulcioPolicy(t, e.caPEM, "https://issuer.example", "you@example.com", e.rekor), `Required email "you@example.com" not found`},
		"another CA":     {e.fulcioPolicy(t, e.otherCA, "https://issuer.example", "me@example.com", e.rekor), "verifying the Fulcio certificate failed"},
		"another log":    {e.fulcioPolicy(t, e.caPEM, "https://issuer.example", "me@example.com", e.otherRekor), "cryptographic signature verification of Rekor SET failed"},
	})
	logAt(e.signed.Add(time.Hour)) // the certificate lived ten minutes
	e.refusals(t, "app", map[string]struct{ policy, want string }{
		"logged after the certificate expired": {good, "certificate has expired or is not yet valid"},
	})
}

// TestFerryVerifiesCosignKeylessBundle: cosign 3 signs with a certificate
// in its default form (a Sigstore bundle referrer), the stand-in Rekor's
// entry (promise and inclusion proof) is added to the bundle, and ferry's
// fulcio policy accepts the image; a bundle cosign sign-blob made over
// the manifest's bytes (a message signature), attached by the test,
// verifies with the key.
func TestFerryVerifiesCosignKeylessBundle(t *testing.T) {
	e := newKeylessEnv(t)
	d := e.push(t, "app")
	sc := filepath.Join(e.dir, "signing-config.json")
	if r := run(t, nil, e.cosign, "signing-config", "create", "--out", sc); r.code != 0 {
		t.Fatalf("cosign signing-config create: %s", r.stderr)
	}
	if r := run(t, e.cosignE, e.cosign, "sign", "--key", e.key+".private", "--certificate", e.cert, "--certificate-chain", e.caPEM, "--signing-config", sc,
		"--allow-insecure-registry", "--allow-http-registry", e.reg.host+"/app@"+d); r.code != 0 {
		t.Fatalf("cosign sign --certificate (bundle): %s", r.stderr)
	}
	good := e.fulcioPolicy(t, e.caPEM, "https://issuer.example", "me@example.com", e.rekor)
	// cosign logged nothing: without an entry the bundle is refused.
	e.refusals(t, "app", map[string]struct{ policy, want string }{"not logged": {good, "holds no Rekor log entry"}})

	// The stand-in Rekor logs the signature: its entry (promise and
	// inclusion proof) goes into cosign's bundle, first as cosign wrote it
	// (the certificate as a one-element x509CertificateChain), then in the
	// v0.3 form keyless signing writes (certificate), the only one cosign
	// verify accepts (it finds no signature in the first).
	refTag := strings.Replace(d, ":", "-", 1)
	var ix struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Manifests     []map[string]any
	}
	if err := json.Unmarshal(e.manifest(t, "app", refTag), &ix); err != nil || len(ix.Manifests) != 1 {
		t.Fatalf("cosign's referrers index: %+v, %v", ix, err)
	}
	var ref map[string]any
	if err := json.Unmarshal(e.manifest(t, "app", ix.Manifests[0]["digest"].(string)), &ref); err != nil {
		t.Fatal(err)
	}
	layer := ref["layers"].([]any)[0].(map[string]any)
	cosignBundle := e.blob(t, "app", layer["digest"].(string))
	certPEM, err := os.ReadFile(e.cert)
	if err != nil {
		t.Fatal(err)
	}
	logBundle := func(asCertificate bool) {
		t.Helper()
		var bundle map[string]any
		if err := json.Unmarshal(cosignBundle, &bundle); err != nil {
			t.Fatalf("cosign's bundle: %v", err)
		}
		env := bundle["dsseEnvelope"].(map[string]any)
		envJSON, _ := json.Marshal(env)
		payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		sig, _ := base64.StdEncoding.DecodeString(env["signatures"].([]any)[0].(map[string]any)["sig"].(string))
		vm := bundle["verificationMaterial"].(map[string]any)
		chain, ok := vm["x509CertificateChain"].(map[string]any)
		if !ok {
			t.Fatalf("cosign's bundle holds no certificate chain: %s", cosignBundle)
		}
		if asCertificate {
			vm["certificate"] = chain["certificates"].([]any)[0]
			delete(vm, "x509CertificateChain")
		}
		vm["tlogEntries"] = []any{e.log.Entry(t, testsigstore.DSSEBody(certPEM, sig, payload, envJSON), e.signed, true, true)}
		b, _ := json.Marshal(bundle)
		layer["digest"], layer["size"] = e.pushBlob(t, "app", b), len(b)
		refJSON, _ := json.Marshal(ref)
		ix.Manifests[0]["digest"], ix.Manifests[0]["size"] = digest.FromBytes(refJSON).String(), len(refJSON)
		e.putManifestAs(t, "app", digest.FromBytes(refJSON).String(), "application/vnd.oci.image.manifest.v1+json", refJSON)
		ixJSON, _ := json.Marshal(ix)
		e.putManifestAs(t, "app", refTag, "application/vnd.oci.image.index.v1+json", ixJSON)
	}
	logBundle(false)
	ferry(t, 0, "--policy", good, "copy", "-q", "--src-tls-verify=false", "docker://"+e.reg.host+"/app:1", "dir:"+filepath.Join(t.TempDir(), "ok"))
	logBundle(true)
	e.cosignVerifies(t, "app@"+d)
	ferry(t, 0, "--policy", good, "copy", "-q", "--src-tls-verify=false", "docker://"+e.reg.host+"/app:1", "dir:"+filepath.Join(t.TempDir(), "ok"))
	e.refusals(t, "app", map[string]struct{ policy, want string }{
		"another issuer": {e.fulcioPolicy(t, e.caPEM, "https://other.example", "me@example.com", e.rekor), "Unexpected Fulcio OIDC issuer"},
		"another log":    {e.fulcioPolicy(t, e.caPEM, "https://issuer.example", "me@example.com", e.otherRekor), "no Rekor log entry of the Sigstore bundle verified"},
	})

	// cosign sign-blob over the manifest's bytes, attached by the test as
	// a referrer (cosign has no command that attaches a blob's bundle).
	man := e.manifest(t, "app", d)
	manFile := e.write(t, filepath.Join(e.dir, "manifest.json"), string(man))
	blobBundle := filepath.Join(e.dir, "blob.bundle")
	if r := run(t, e.cosignE, e.cosign, "sign-blob", "--yes", "--key", e.key+".private", "--signing-config", sc, "--bundle", blobBundle, manFile); r.code != 0 {
		t.Fatalf("cosign sign-blob: %s", r.stderr)
	}
	bb, err := os.ReadFile(blobBundle)
	if err != nil || !bytes.Contains(bb, []byte(`"messageSignature"`)) {
		t.Fatalf("cosign sign-blob wrote no message-signature bundle: %s %v", bb, err)
	}
	e.attachBundle(t, "app2", e.push(t, "app2"), bb)
	keyPolicy := e.policy(t, e.key+".pub", `{"type":"matchRepository"}`)
	ferry(t, 0, "--policy", keyPolicy, "copy", "-q", "--src-tls-verify=false", "docker://"+e.reg.host+"/app2:1", "dir:"+filepath.Join(t.TempDir(), "ok"))
	other := filepath.Join(e.dir, "other")
	ferry(t, 0, "generate-sigstore-key", "--output-prefix", other, "--passphrase-file", e.pass)
	e.refusals(t, "app2", map[string]struct{ policy, want string }{
		"another key": {e.policy(t, other+".pub", `{"type":"matchRepository"}`), "cryptographic signature verification failed"},
	})
}

// cosignVerifies checks that cosign verify, trusting the stand-in CA and
// log (the SCT is the only thing it is told to skip: the stand-in runs
// no certificate transparency log), accepts img's keyless signature, so
// the stand-ins produce what the real services do.
func (e *keylessEnv) cosignVerifies(t *testing.T, img string) {
	t.Helper()
	r := run(t, nil, e.cosign, "verify", "--allow-insecure-registry", "--allow-http-registry", "--trusted-root", e.trustedRoot, "--insecure-ignore-sct",
		"--certificate-identity", "me@example.com", "--certificate-oidc-issuer", "https://issuer.example", e.reg.host+"/"+img)
	if r.code != 0 {
		t.Errorf("cosign verify of the keyless signature: exit %d: %s", r.code, r.stderr)
	}
}

// attachBundle stores bundle b as an OCI referrer of the manifest subject
// in repo, under the referrers tag schema (the registry has no referrers
// API), as cosign stores its own bundles.
func (e *keylessEnv) attachBundle(t *testing.T, repo, subject string, b []byte) {
	t.Helper()
	empty := e.pushBlob(t, repo, []byte("{}"))
	man := e.manifest(t, repo, subject)
	var sm struct{ MediaType string }
	if err := json.Unmarshal(man, &sm); err != nil {
		t.Fatal(err)
	}
	ref, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": sigstore.BundleArtifactType,
		"config":  map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
		"layers":  []any{map[string]any{"mediaType": sigstore.BundleArtifactType, "digest": e.pushBlob(t, repo, b), "size": len(b)}},
		"subject": map[string]any{"mediaType": sm.MediaType, "digest": subject, "size": len(man)},
	})
	rd := digest.FromBytes(ref).String()
	e.putManifestAs(t, repo, rd, "application/vnd.oci.image.manifest.v1+json", ref)
	ix, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{
		map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": rd, "size": len(ref), "artifactType": sigstore.BundleArtifactType},
	}})
	e.putManifestAs(t, repo, strings.Replace(subject, ":", "-", 1), "application/vnd.oci.image.index.v1+json", ix)
}

// blob fetches repo's blob d.
func (e *sigstoreEnv) blob(t *testing.T, repo, d string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + e.reg.host + "/v2/" + repo + "/blobs/" + d)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blob %s: %s %v", d, resp.Status, err)
	}
	if sum := sha256.Sum256(b.Bytes()); digest.NewDigestFromBytes(digest.SHA256, sum[:]).String() != d {
		t.Fatalf("blob %s arrived with another digest", d)
	}
	return b.Bytes()
}

// pushBlob uploads b to repo in one request and returns its digest.
func (e *sigstoreEnv) pushBlob(t *testing.T, repo string, b []byte) string {
	t.Helper()
	resp, err := http.Post("http://"+e.reg.host+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusAccepted || loc == "" {
		t.Fatalf("starting an upload: %s", resp.Status)
	}
	if !strings.HasPrefix(loc, "http") {
		loc = "http://" + e.reg.host + loc
	}
	d := digest.FromBytes(b).String()
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	req, _ := http.NewRequest(http.MethodPut, loc+sep+"digest="+d, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT blob %s: %s", d, resp.Status)
	}
	return d
}
