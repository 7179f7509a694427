package dir

import (
	_ "crypto/sha512" // digest.SHA512 needs the hash linked in
	"testing"

	"github.com/opencontainers/go-digest"
)

// TestFileNames: signatures and instance manifests are named as
// containers/image names them: HEX for sha256 digests, ALGO-HEX for others.
func TestFileNames(t *testing.T) {
	t.Parallel()
	s256 := digest.FromString("x")
	s512 := digest.SHA512.FromString("x")
	for _, tc := range []struct {
		i    int
		inst *digest.Digest
		want string
	}{
		{0, nil, "signature-1"},
		{2, nil, "signature-3"},
		{0, &s256, s256.Encoded() + ".signature-1"},
		{1, &s512, "sha512-" + s512.Encoded() + ".signature-2"},
	} {
		got, err := signatureName(tc.i, tc.inst)
		if err != nil || got != tc.want {
			t.Errorf("signatureName(%d, %v) = %q, %v; want %q", tc.i, tc.inst, got, err, tc.want)
		}
	}
	if got, _ := instanceName(s512); got != "sha512-"+s512.Encoded()+".manifest.json" {
		t.Errorf("instanceName(sha512) = %q", got)
	}
	bad := digest.Digest("sha256:../../etc")
	if _, err := signatureName(0, &bad); err == nil {
		t.Error("a malformed instance digest was accepted")
	}
}
