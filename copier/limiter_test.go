package copier

import (
	"context"
	"errors"
	"testing"
)

// TestLimiterSmallLane: with every slot held by large blobs, a small blob
// still gets a slot of its own, a large one waits, and released slots
// serve again.
func TestLimiterSmallLane(t *testing.T) {
	t.Parallel()
	l := NewLimiter(2)
	ctx := context.Background()
	var held []func()
	for range 2 {
		rel, err := l.acquire(ctx, 100<<20)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rel)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(cancelled, 100<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("a large blob got a slot beyond the limit (err %v)", err)
	}
	if _, err := l.acquire(cancelled, -1); !errors.Is(err, context.Canceled) {
		t.Fatalf("a blob of unknown size took the small lane (err %v)", err)
	}
	var small []func()
	for range smallLane {
		rel, err := l.acquire(ctx, 512) // would block forever without the lane
		if err != nil {
			t.Fatal(err)
		}
		small = append(small, rel)
	}
	if _, err := l.acquire(cancelled, 512); !errors.Is(err, context.Canceled) {
		t.Fatalf("the small lane holds more than %d (err %v)", smallLane, err)
	}
	for _, rel := range append(held, small...) {
		rel()
	}
	if len(l.slots) != 0 || len(l.small) != 0 {
		t.Errorf("after release, %d slots and %d small-lane slots still held", len(l.slots), len(l.small))
	}
}
