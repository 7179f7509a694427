package ferry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/signature"
)

// Sign a manifest file for an image name with an exported OpenPGP key,
// and verify the signature, as skopeo standalone-sign and
// standalone-verify do; no gpg is involved.
func ExampleStandaloneSign() {
	ctx := context.Background()
	secretKey, publicKey := newOpenPGPKey() // in practice: `gpg --export-secret-keys`, `gpg --export`
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)

	signer, err := signature.NewKeyFile(secretKey, "")
	if err != nil {
		log.Fatal(err)
	}
	sig, err := ferry.StandaloneSign(ctx, manifest, "registry.example.com/app:1", signer)
	if err != nil {
		log.Fatal(err)
	}

	v, err := ferry.StandaloneVerify(manifest, sig, "registry.example.com/app:1", publicKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Payload.DockerReference, v.Fingerprint == signer.Fingerprint())

	_, err = ferry.StandaloneVerify(manifest, sig, "registry.example.com/other:1", publicKey)
	fmt.Println("another name:", errors.Is(err, ferry.ErrDenied))
	// Output:
	// registry.example.com/app:1 true
	// another name: true
}

// newOpenPGPKey makes a key pair, exported as gpg exports them (binary).
func newOpenPGPKey() (secret, public []byte) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("ferry example", "", "example@example.com", cfg)
	if err != nil {
		log.Fatal(err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, cfg); err != nil {
		log.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		log.Fatal(err)
	}
	return sec.Bytes(), pub.Bytes()
}
