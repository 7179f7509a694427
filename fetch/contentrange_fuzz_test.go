package fetch

import (
	"fmt"
	"testing"
)

// FuzzContentRange: a Content-Range a server sends either is refused or
// describes a real range (0 <= start <= end, and end < total when the
// total is known), and the range it describes renders back to the same
// values; Retry-After never yields a negative wait.
func FuzzContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 5-9/*", "bytes 9-5/10", "bytes 0-1/-5", "bytes 0-99/50", "bytes -1-2/3", "bytes +5-6/7", "items 0-1/2", "bytes 0-/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := retryAfter(v); d < 0 {
			t.Fatalf("retryAfter(%q) = %v", v, d)
		}
		start, total, ok := contentRange(v)
		if !ok {
			return
		}
		if start < 0 || total < -1 || (total >= 0 && start >= total) {
			t.Fatalf("contentRange(%q) = start %d, total %d", v, start, total)
		}
		tot := "*"
		if total >= 0 {
			tot = fmt.Sprint(total)
		}
		s2, t2, ok2 := contentRange(fmt.Sprintf("bytes %d-%d/%s", start, start, tot))
		if !ok2 || s2 != start || t2 != total {
			t.Fatalf("contentRange(%q) = %d, %d does not render back (%d, %d, %v)", v, start, total, s2, t2, ok2)
		}
	})
}
