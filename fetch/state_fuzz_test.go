package fetch

import (
	"crypto/sha256"
	"encoding"
	"fmt"
	"hash/crc32"
	"reflect"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzSidecar feeds the download cache's state files arbitrary bytes, as
// a torn write, a full disk or another program could leave them. With
// sealed set the bytes get a correct checksum line, so the fuzzer reaches
// the JSON and the consistency checks behind it. A state file is either
// refused or restores to a state a resume can trust: spans sorted,
// disjoint and inside the blob, a hashed prefix that was written, and a
// hash state the hash accepts; what decodes encodes back to itself.
func FuzzSidecar(f *testing.F) {
	d := ocispec.Descriptor{Digest: digest.FromString("blob"), Size: 5000}
	h := sha256.New()
	h.Write(make([]byte, 1000))
	state, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	good := newSidecar(d, spanSet{{0, 1000}, {2000, 3000}}, 1000, state).encode()
	f.Add(good, false)
	f.Add(good[:len(good)-3], false)
	f.Add(newSidecar(d, nil, 0, nil).encode(), false)
	js := func(s string) []byte { return []byte(s) }
	dg := d.Digest.String()
	f.Add(js(`{"version":1,"digest":"`+dg+`","size":5000,"ranges":[[0,1000],[1000,2000]],"hashed":0}`), true)
	f.Add(js(`{"version":1,"digest":"`+dg+`","size":5000,"ranges":[[0,6000]],"hashed":0}`), true)
	f.Add(js(`{"version":1,"digest":"`+dg+`","size":5000,"ranges":[[-5,10]],"hashed":-1}`), true)
	f.Add(js(`{"version":1,"digest":"`+dg+`","size":5000,"ranges":[[0,10]],"hashed":10,"hashState":"AAAA"}`), true)
	f.Add(js(`{"version":1,"digest":"md5:x","size":-1,"ranges":[[9223372036854775807,-9223372036854775808]]}`), true)
	f.Add(js(`{"version":1,"digest":"sha512:`+fmt.Sprintf("%0128x", 0)+`","size":10,"ranges":[[0,10]],"hashed":10}`), true)
	f.Add(js(`null`), true)
	f.Fuzz(func(t *testing.T, b []byte, sealed bool) {
		if sealed {
			b = fmt.Appendf(b, "\n%08x\n", crc32.ChecksumIEEE(b))
		}
		sc, err := decodeSidecar(b)
		if err != nil {
			if err != errBadSidecar {
				t.Fatalf("decodeSidecar error %v is not errBadSidecar", err)
			}
			return
		}
		again, err := decodeSidecar(sc.encode())
		if err != nil || !reflect.DeepEqual(again, sc) {
			t.Fatalf("a state decoded from %q does not survive its own encoding: %+v, %v", b, again, err)
		}
		// Restore it for the blob it names (when a registry could name
		// it: a valid digest and size) and for another blob.
		descs := []ocispec.Descriptor{d}
		if sc.Digest.Validate() == nil && sc.Size >= 0 {
			descs = append(descs, ocispec.Descriptor{Digest: sc.Digest, Size: sc.Size})
		}
		for _, want := range descs {
			st, err := sc.restore(want)
			if err != nil {
				if err != errBadSidecar {
					t.Fatalf("restore error %v is not errBadSidecar", err)
				}
				continue
			}
			if sc.Digest != want.Digest || sc.Size != want.Size {
				t.Fatalf("restored a state of %s (%d bytes) for %s (%d bytes)", sc.Digest, sc.Size, want.Digest, want.Size)
			}
			if !st.done.valid(want.Size) || st.done.total() > want.Size {
				t.Fatalf("restored spans %v do not fit a %d-byte blob", st.done, want.Size)
			}
			if st.hashed < 0 || st.hashed > st.done.prefix() || st.h == nil {
				t.Fatalf("restored %d hashed bytes of a written prefix of %d", st.hashed, st.done.prefix())
			}
			// What a resume writes back is the same state.
			var hs []byte
			if st.hashed > 0 {
				hs, _ = st.h.(encoding.BinaryMarshaler).MarshalBinary()
			}
			st2, err := newSidecar(want, st.done, st.hashed, hs).restore(want)
			if err != nil || !reflect.DeepEqual(st2.done, st.done) || st2.hashed != st.hashed {
				t.Fatalf("the state written back does not restore to itself: %v", err)
			}
		}
	})
}
