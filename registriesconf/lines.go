package registriesconf

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// lines maps the keys and tables of a TOML file to the lines defining
// them, so that errors found after decoding (an unknown key, a bad value)
// can name a line: the decoder reports lines only for syntax errors. It
// reads only what registries.conf uses (tables, arrays of tables, keys,
// dotted keys); a key it cannot place is reported without a line.
type lines struct {
	// indexed: "registry[1].mirror[0].location" -> line.
	indexed map[string]int
	// plain: the first line of "registry.mirror.location", as
	// MetaData.Undecoded names keys.
	plain map[string]int
}

// scanLines reads the structure of data.
func scanLines(data []byte) *lines {
	l := &lines{indexed: map[string]int{}, plain: map[string]int{}}
	counts := map[string]int{} // array of tables path -> entries so far
	table := ""                // the current table, indexed
	inMultiline := ""          // the closing delimiter of a multi-line string
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		s := strings.TrimSpace(raw)
		if inMultiline != "" {
			if strings.Contains(s, inMultiline) {
				inMultiline = ""
			}
			continue
		}
		switch {
		case s == "" || s[0] == '#':
			continue
		case strings.HasPrefix(s, "[["):
			end := strings.Index(s, "]]")
			if end < 0 {
				continue
			}
			parts := splitKey(s[2:end])
			parent := resolve(counts, parts[:len(parts)-1])
			arr := join(parent, parts[len(parts)-1])
			table = arr + "[" + strconv.Itoa(counts[arr]) + "]"
			counts[arr]++
			l.add(table, n)
		case s[0] == '[':
			end := strings.Index(s, "]")
			if end < 0 {
				continue
			}
			table = resolve(counts, splitKey(s[1:end]))
			l.add(table, n)
		default:
			parts, eq := scanKey(s)
			if eq < 0 || !keyStart().MatchString(parts[0]) {
				continue
			}
			path := table
			for _, p := range parts {
				path = join(path, p)
			}
			l.add(path, n)
			v := strings.TrimSpace(s[eq+1:])
			for _, d := range []string{`"""`, "'''"} {
				if strings.HasPrefix(v, d) && !strings.Contains(v[3:], d) {
					inMultiline = d
				}
			}
		}
	}
	return l
}

// keyStart is what a key read by splitKey may look like: a bare key, or a
// quoted one unquoted (anything but a line of an array or inline table).
var keyStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.:/@*-]+$|^$`) })

func (l *lines) add(indexed string, n int) {
	if _, ok := l.indexed[indexed]; !ok {
		l.indexed[indexed] = n
	}
	plain := arrayIndex().ReplaceAllString(indexed, "")
	if _, ok := l.plain[plain]; !ok {
		l.plain[plain] = n
	}
}

var arrayIndex = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[[0-9]+\]`) })

// line is the line of an indexed path, or of its nearest enclosing table
// or key that was placed; 0 when none was.
func (l *lines) line(indexed string) int {
	for p := indexed; p != ""; {
		if n, ok := l.indexed[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// first is the earliest line of the keys (as Undecoded names them)
// that were placed; 0 when none was.
func (l *lines) first(plain ...string) int {
	best := 0
	for _, k := range plain {
		if n := l.plain[k]; n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	return best
}

// keyLine is the first line of a key as MetaData.Undecoded names it.
func (l *lines) keyLine(plain string) int { return l.plain[plain] }

// resolve turns a table path into an indexed one: a component naming an
// array of tables stands for its last entry so far.
func resolve(counts map[string]int, parts []string) string {
	path := ""
	for _, p := range parts {
		path = join(path, p)
		if c, ok := counts[path]; ok && c > 0 {
			path += "[" + strconv.Itoa(c-1) + "]"
		}
	}
	return path
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// splitKey splits a dotted key (a table header's inside), unquoting
// quoted parts.
func splitKey(s string) []string {
	parts, _ := scanKey(s)
	return parts
}

// scanKey reads a dotted key up to the "=" that ends it outside quotes:
// its parts, unquoted, and the index of that "=" (-1 when there is none,
// or when a bracket or comma shows the line is no key/value line).
func scanKey(s string) (parts []string, eq int) {
	var cur strings.Builder
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				c = s[i]
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c == '=':
			return append(parts, strings.TrimSpace(cur.String())), i
		case c == '{' || c == '[' || c == ',' || c == ']' || c == '}':
			return nil, -1
		case c == ' ' || c == '\t':
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(cur.String())), -1
}
