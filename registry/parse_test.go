package registry

import (
	"net/http"
	"testing"
	"time"
)

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		values []string
		want   string
	}{
		{[]string{`</v2/app/tags/list?last=b&n=2>; rel="next"`}, "/v2/app/tags/list?last=b&n=2"},
		{[]string{`<https://r.example/v2/x/tags/list?n=1&last=a>; rel=next`}, "https://r.example/v2/x/tags/list?n=1&last=a"},
		{[]string{`</prev>; rel="prev", </next>; rel="next"`}, "/next"},
		{[]string{`</a>; rel="prev"`, `</b>; title="x"; rel="next"`}, "/b"},
		{[]string{`</x>; rel="first last"`}, ""},
		{[]string{`garbage`}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := nextLink(tt.values); got != tt.want {
			t.Errorf("nextLink(%q): got %q, want %q", tt.values, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	def := 7 * time.Second
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", def},
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{"-1", def},
		{"soon", def},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.v, def); got != tt.want {
			t.Errorf("retryAfter(%q): got %v, want %v", tt.v, got, tt.want)
		}
	}
	future := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), def)
	if future < 58*time.Minute || future > time.Hour {
		t.Errorf("retryAfter(an hour from now): got %v", future)
	}
}
