package fetch

import (
	"testing"
	"time"
)

// A range is split for an idle connection only when its owner needs
// longer than stealWaits of the blob's request answer times (the idle
// connection's own request waits one before its first byte), and never
// for less than minStealTime.
func TestStealTimeFollowsAnswerTime(t *testing.T) {
	var b blobFetch
	if got := b.stealTime(); got != minStealTime {
		t.Fatalf("before any answer: %v, want the floor %v", got, minStealTime)
	}
	for range 20 {
		b.answered(80 * time.Millisecond)
	}
	if got, want := b.stealTime(), stealWaits*80*time.Millisecond; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("after 80 ms answers: %v, want %v", got, want)
	}
	b.answered(880 * time.Millisecond) // one slow answer moves the average a quarter of the way
	if got, want := b.stealTime(), stealWaits*280*time.Millisecond; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("after one 880 ms answer: %v, want %v", got, want)
	}

	now := time.Now()
	// 1 MB in the last second: 10 MB left is 10 s, 100 KB is 100 ms.
	long := &segment{since: now.Add(-time.Second), from: 0, next: 1e6, end: 11e6}
	short := &segment{since: now.Add(-time.Second), from: 0, next: 1e6, end: 1.1e6}
	fresh := &segment{since: now.Add(-50 * time.Millisecond), from: 0, next: 0, end: 11e6}
	stuck := &segment{since: now.Add(-time.Second), from: 0, next: 0, end: 11e6}
	for _, tc := range []struct {
		name string
		s    *segment
		want bool
	}{{"10 s left", long, true}, {"100 ms left", short, false}, {"no rate yet", fresh, false}, {"nothing arrived", stuck, true}} {
		if got := tc.s.worthSplitting(now, 500*time.Millisecond); got != tc.want {
			t.Errorf("%s: worthSplitting = %v, want %v", tc.name, got, tc.want)
		}
	}
}
