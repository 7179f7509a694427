package display

import (
	"strconv"
	"strings"
	"testing"
)

// screen is a small model of a terminal, enough to replay what Bars
// writes: printable text with autowrap (a line that fills the last column
// wraps on the next character, as in xterm), CR, LF, cursor up (CSI n A),
// erase to the end of the screen (CSI J) and erase line (CSI 2 K). Rows
// remember whether they wrapped into the next, so a resize reflows them as
// VTE, iTerm2, kitty, Windows Terminal and tmux do. The screen grows
// downwards without limit; cursor up stops at the first row.
type screen struct {
	t        testing.TB
	cols     int
	rows     [][]rune
	wrapped  []bool // rows[i] continues in rows[i+1]
	x, y     int
	pending  bool // a character was written in the last column
	maxWidth int  // the widest row ever written
}

func newScreen(t testing.TB, cols int) *screen {
	return &screen{t: t, cols: cols, rows: [][]rune{nil}, wrapped: []bool{false}}
}

func (s *screen) row(y int) {
	for len(s.rows) <= y {
		s.rows = append(s.rows, nil)
		s.wrapped = append(s.wrapped, false)
	}
}

// write interprets p.
func (s *screen) write(p string) {
	r := []rune(p)
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case c == '\r':
			s.x, s.pending = 0, false
		case c == '\n':
			s.y++
			s.row(s.y)
			s.pending = false
		case c == 0x1b && i+1 < len(r) && r[i+1] == '[':
			j := i + 2
			for j < len(r) && (r[j] >= '0' && r[j] <= '9' || r[j] == ';') {
				j++
			}
			if j == len(r) {
				s.t.Fatalf("unterminated escape sequence %q", string(r[i:]))
			}
			n, _ := strconv.Atoi(string(r[i+2 : j]))
			s.csi(r[j], n)
			i = j
		case c < 0x20:
			s.t.Fatalf("unexpected control character %q", c)
		default:
			if s.pending {
				s.wrapped[s.y] = true
				s.x, s.pending = 0, false
				s.y++
				s.row(s.y)
			}
			line := s.rows[s.y]
			for len(line) <= s.x {
				line = append(line, ' ')
			}
			line[s.x] = c
			s.rows[s.y] = line
			s.maxWidth = max(s.maxWidth, len(strings.TrimRight(string(line), " ")))
			if s.x == s.cols-1 {
				s.pending = true
			} else {
				s.x++
			}
		}
	}
}

func (s *screen) csi(final rune, n int) {
	switch final {
	case 'A':
		s.y = max(0, s.y-max(n, 1))
		s.pending = false
	case 'J':
		s.rows[s.y] = s.rows[s.y][:min(s.x, len(s.rows[s.y]))]
		s.wrapped[s.y] = false
		s.rows, s.wrapped = s.rows[:s.y+1], s.wrapped[:s.y+1]
	case 'K':
		s.rows[s.y] = nil
		s.wrapped[s.y] = false
	default:
		s.t.Fatalf("unexpected escape sequence ending in %q", final)
	}
}

// resize reflows the rows to cols columns. The cursor must stand at the
// start of a line (where Bars leaves it); it stays at the start of that
// line.
func (s *screen) resize(cols int) {
	if s.x != 0 {
		s.t.Fatalf("resize with the cursor in column %d", s.x)
	}
	var lines [][]rune
	var cursorLine int
	var cur []rune
	for y, r := range s.rows {
		if y == s.y {
			cursorLine = len(lines)
		}
		cur = append(cur, r...)
		if !s.wrapped[y] {
			lines = append(lines, cur)
			cur = nil
		}
	}
	s.cols, s.rows, s.wrapped = cols, nil, nil
	for i, l := range lines {
		if i == cursorLine {
			s.y = len(s.rows)
		}
		l = []rune(strings.TrimRight(string(l), " "))
		for len(l) > cols {
			s.rows = append(s.rows, l[:cols])
			s.wrapped = append(s.wrapped, true)
			l = l[cols:]
		}
		s.rows = append(s.rows, l)
		s.wrapped = append(s.wrapped, false)
	}
}

// lines returns the screen's rows, trailing spaces and empty rows at the
// end dropped.
func (s *screen) lines() []string {
	var out []string
	for _, r := range s.rows {
		out = append(out, strings.TrimRight(string(r), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// logical returns the screen's lines with wrapped rows joined.
func (s *screen) logical() []string {
	var out []string
	cur := ""
	for y, r := range s.rows {
		cur += string(r)
		if !s.wrapped[y] {
			out = append(out, strings.TrimRight(cur, " "))
			cur = ""
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
