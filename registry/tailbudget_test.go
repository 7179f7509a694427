package registry

import "testing"

// TestTailBudget: concurrent uploads share maxTailMemory, those of
// another client on the same session too; what one gives back, the next
// can take.
func TestTailBudget(t *testing.T) {
	t.Parallel()
	s := &hostSession{}
	c, other := &Client{hostSession: s}, &Client{hostSession: s}
	const mib = 1 << 20
	a, relA := c.reserveTail(6 * mib)
	b, relB := other.reserveTail(6 * mib)
	z, relZ := c.reserveTail(4 * mib)
	if a != 6*mib || b != maxTailMemory-6*mib || z != 0 {
		t.Fatalf("granted %d, %d, %d; want %d, %d, 0", a, b, z, 6*mib, maxTailMemory-6*mib)
	}
	relA()
	relZ()
	if again, rel := c.reserveTail(6 * mib); again != 6*mib {
		t.Errorf("after a release, granted %d, want %d", again, 6*mib)
	} else {
		rel()
	}
	relB()
	if c.push.tails != 0 {
		t.Errorf("%d bytes still reserved after every release", c.push.tails)
	}
}
