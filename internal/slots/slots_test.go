package slots

import (
	"context"
	"errors"
	"testing"
)

func TestHighestFirst(t *testing.T) {
	t.Parallel()
	b := New(1)
	ctx := context.Background()
	if err := b.Acquire(ctx, func() int64 { return 0 }); err != nil {
		t.Fatal(err)
	}
	// Four wait; each slot goes to the highest priority, the earliest
	// first among equals.
	prios := []int64{10, 300, 20, 300}
	got := make(chan int, len(prios))
	for i, p := range prios {
		queued := make(chan struct{})
		go func() {
			close(queued)
			if err := b.Acquire(ctx, func() int64 { return p }); err != nil {
				t.Error(err)
				return
			}
			got <- i
		}()
		<-queued
		waitQueued(b, i+1)
	}
	var order []int
	for range prios {
		b.Release()
		order = append(order, <-got)
	}
	want := []int{1, 3, 2, 0}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("slots went to %v, want %v", order, want)
		}
	}
}

// waitQueued waits until n acquirers wait on b.
func waitQueued(b *Pool, n int) {
	for {
		if b.Waiting() >= n {
			return
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	b := New(1)
	if err := b.Acquire(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- b.Acquire(ctx, func() int64 { return 1 }) }()
	waitQueued(b, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire after cancel: %v", err)
	}
	b.Release()
	// The slot is free again, not lost to the waiter that gave up.
	if err := b.Acquire(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if b.Free() != 0 || b.Waiting() != 0 {
		t.Errorf("free %d, waiters %d; want 0, 0", b.Free(), b.Waiting())
	}
}
