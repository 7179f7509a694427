package copier

import (
	"context"
	"errors"
	"testing"
)

// TestLimiterSmallestFirst: with every slot held, freed slots go to the
// smallest blob waiting (a blob of unknown size last), never beyond the
// limit.
func TestLimiterSmallestFirst(t *testing.T) {
	t.Parallel()
	l := NewLimiter(1)
	ctx := context.Background()
	if err := l.acquire(ctx, 100<<20); err != nil {
		t.Fatal(err)
	}
	sizes := []int64{50 << 20, -1, 300, 80 << 20, 300}
	got := make(chan int, len(sizes))
	for i, size := range sizes {
		go func() {
			if err := l.acquire(ctx, size); err != nil {
				t.Error(err)
				return
			}
			got <- i
		}()
		waitLimited(l, i+1)
	}
	var order []int
	for range sizes {
		l.release()
		order = append(order, <-got)
	}
	want := []int{2, 4, 0, 3, 1}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("slots went to %v, want %v", order, want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.acquire(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("a blob got a slot beyond the limit (err %v)", err)
	}
	l.release()
	if l.p.Free() != 1 || l.p.Waiting() != 0 {
		t.Errorf("free %d, waiters %d after the last release; want 1, 0", l.p.Free(), l.p.Waiting())
	}
}

// waitLimited waits until n acquirers wait on l.
func waitLimited(l *Limiter, n int) {
	for l.p.Waiting() < n {
	}
}
