package fetch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpanSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		adds   []span
		want   spanSet
		prefix int64
		holes  []span // within [0, 100)
	}{
		{"empty", nil, nil, 0, []span{{0, 100}}},
		{"one", []span{{10, 20}}, spanSet{{10, 20}}, 0, []span{{0, 10}, {20, 100}}},
		{"touching merge", []span{{0, 10}, {10, 20}}, spanSet{{0, 20}}, 20, []span{{20, 100}}},
		{"out of order", []span{{50, 60}, {0, 10}, {20, 30}}, spanSet{{0, 10}, {20, 30}, {50, 60}}, 10, []span{{10, 20}, {30, 50}, {60, 100}}},
		{"bridging", []span{{0, 10}, {20, 30}, {40, 50}, {5, 45}}, spanSet{{0, 50}}, 50, []span{{50, 100}}},
		{"contained", []span{{0, 50}, {10, 20}}, spanSet{{0, 50}}, 50, []span{{50, 100}}},
		{"empty add", []span{{5, 5}}, nil, 0, []span{{0, 100}}},
		{"full", []span{{60, 100}, {0, 60}}, spanSet{{0, 100}}, 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s spanSet
			for _, a := range tc.adds {
				s = s.add(a.start, a.end)
			}
			if diff := cmp.Diff(tc.want, s, cmp.AllowUnexported(span{})); diff != "" {
				t.Errorf("set (-want +got):\n%s", diff)
			}
			if got := s.prefix(); got != tc.prefix {
				t.Errorf("prefix() = %d, want %d", got, tc.prefix)
			}
			if diff := cmp.Diff(tc.holes, s.holes(100), cmp.AllowUnexported(span{})); diff != "" {
				t.Errorf("holes (-want +got):\n%s", diff)
			}
			if !s.valid(100) {
				t.Errorf("valid(100) = false for %v", s)
			}
		})
	}
}

func TestSpanSetTruncateAndValid(t *testing.T) {
	t.Parallel()
	s := spanSet{{0, 10}, {20, 30}, {40, 50}}
	if got, want := s.clone().truncate(25), (spanSet{{0, 10}, {20, 25}}); !cmp.Equal(got, want, cmp.AllowUnexported(span{})) {
		t.Errorf("truncate(25) = %v, want %v", got, want)
	}
	for _, bad := range []spanSet{{{0, 10}, {5, 20}}, {{0, 10}, {10, 20}}, {{20, 30}, {0, 10}}, {{-1, 5}}, {{5, 5}}, {{0, 101}}} {
		if bad.valid(100) {
			t.Errorf("valid(100) = true for %v", bad)
		}
	}
}

func (s spanSet) clone() spanSet { return append(spanSet(nil), s...) }
