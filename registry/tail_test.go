package registry

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestTail writes a stream in uneven pieces, some larger than the ring,
// and reads back every range the ring still holds, and none it does not.
func TestTail(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	stream := make([]byte, 5000)
	rng.Read(stream)
	for _, tc := range []struct {
		max, size int64
		pieces    []int
	}{
		{100, 0, []int{1, 7, 50, 42, 99, 100, 101, 3}},
		{100, 5000, []int{250, 1, 1, 98}},
		{64, 30, []int{10, 10, 10}},
		{1, 0, []int{5, 1, 1}},
	} {
		tl := newTail(tc.max, tc.size)
		var off int
		for _, n := range tc.pieces {
			tl.write(stream[off : off+n])
			off += n
			total := int64(off)
			kept := min(total, tc.max)
			for from := total - kept - 2; from <= total; from++ {
				for _, to := range []int64{from, total, (from + total) / 2, total + 1} {
					got, ok := tl.since(from, to)
					want := from >= total-kept && from >= 0 && to <= total && from <= to
					if ok != want {
						t.Fatalf("max %d after %d bytes: since(%d, %d) ok=%v, want %v", tc.max, total, from, to, ok, want)
					}
					if ok && !bytes.Equal(got, stream[from:to]) {
						t.Fatalf("max %d after %d bytes: since(%d, %d) returned other bytes", tc.max, total, from, to)
					}
				}
			}
		}
	}
}
