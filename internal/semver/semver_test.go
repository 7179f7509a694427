package semver

import (
	"fmt"
	"strings"
	"testing"

	masterminds "github.com/Masterminds/semver/v3"
)

// The tests hold ferry's reading to Masterminds' (skopeo's) on the same
// inputs: every version the same, every constraint ferry accepts read the
// same, and only the malformed ones listed below read differently.

// probes are versions each constraint is checked against.
var probes = []string{
	"0.0.0", "0.0.1", "0.0.3", "0.1.0", "0.2.0", "0.2.5", "0.3.0", "1", "1.0.0", "1.0.1", "1.1.0",
	"1.2.0", "1.2.3", "1.2.4", "1.3.0", "1.10.0", "2.0.0", "2.0.1", "2.1.0", "2.9.9", "3.0.0",
	"10.0.0", "v1.2.3", "1.2.3+build.5", "1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-beta",
	"1.2.3-rc.1", "1.2.3-rc.10", "1.2.3-rc.2", "2.0.0-rc.1", "0.0.0-0", "1.0.0-0", "1.2.0-alpha",
	"18446744073709551615.0.0", "1.2.3-18446744073709551616", "1.2.3-x-y",
}

var versionCases = []string{
	"1.2.3", "v1.2.3", "1", "1.2", "v1", "01.02.03", "1.2.3-alpha", "1.2.3-alpha.1.beta-2",
	"1.2.3+meta", "1.2.3-rc.1+meta.2", "1.2.3--", "1.2-rc1", "1-rc1", "1.2.3-0", "1.2.3-00",
	"1.2.3-01", "1.2.3-0a", "1.2.3-a..b", "1.2.3-", "1.2.3+", "1.2.3+a.", "1.2.3.4", "1.",
	"1..2", "", "v", "vv1", "V1", "latest", "1.2.3 ", " 1.2.3", "x", "1.x", "*",
	"18446744073709551615", "18446744073709551616", "1.2.3-18446744073709551616",
	"1.2.3+01", "1.2.3-a+b+c", "1.2.3_a", strings.Repeat("1", 257), "1.2.3-" + strings.Repeat("a", 250),
}

func TestParseMatchesMasterminds(t *testing.T) {
	for _, s := range versionCases {
		compareVersion(t, s)
	}
}

func compareVersion(t *testing.T, s string) {
	t.Helper()
	v, err := Parse(s)
	mv, merr := masterminds.NewVersion(s)
	if (err == nil) != (merr == nil) {
		t.Fatalf("Parse(%q): ferry error %v, Masterminds error %v", s, err, merr)
	}
	if err != nil {
		return
	}
	if v.major != mv.Major() || v.minor != mv.Minor() || v.patch != mv.Patch() || v.pre != mv.Prerelease() {
		t.Fatalf("Parse(%q) = %+v, Masterminds %s", s, v, mv)
	}
}

func TestCompareMatchesMasterminds(t *testing.T) {
	all := append(append([]string{}, probes...), versionCases...)
	for _, a := range all {
		for _, b := range all {
			va, err1 := Parse(a)
			vb, err2 := Parse(b)
			if err1 != nil || err2 != nil {
				continue
			}
			want := masterminds.MustParse(a).Compare(masterminds.MustParse(b))
			if got := va.Compare(vb); got != want {
				t.Errorf("Compare(%q, %q) = %d, Masterminds %d", a, b, got, want)
			}
		}
	}
}

var constraintCases = []string{
	"1.2.3", "=1.2.3", "v1.2.3", "!=1.2.3", ">1.2.3", "<1.2.3", ">=1.2.3", "=>1.2.3", "<=1.2.3",
	"=<1.2.3", "~1.2.3", "~>1.2.3", "^1.2.3", "^0.2.3", "^0.0.3", "^0", "^0.0", "^0.x", "^1.x",
	"~1", "~1.2", "~0", "~x", "~0.0", "1", "1.2", "1.x", "1.2.x", "x", "*", "X", "1.*", "!=1.x",
	"!=1.2.x", "!=x", ">1", ">1.2", ">x", ">1.x", ">1.2.x", "<1.x", "<=1", "<=1.2", "<=x",
	">= 1.2, < 2", ">=1.2 <2", ">= 1.2 , < 2", ">=1.2,<2", "1.2 - 2.0", "1.2.3 - 2.3.4",
	"1 - 2", "1.x - 2.x", ">=1 || <0.1", "^1.2 || ^2", "1.2||2.0", "1 || 2 - 3", "1,2 - 3",
	"1 - 2 3 - 4", "1 - 2,3 - 4", "1 - 2 3", "1 - 2,3", "1 - 2>3", "1 - 2v3",
	">=1.2.3-alpha", ">=1.2.3-alpha <1.2.4", "1.2.3-beta", "~1.2.3-beta", "^1.2.3-beta",
	"!=1.2.3-beta", "1.2.x-alpha", "!=1.2.x-alpha", ">=0.0.0-0", ">1.2.3+meta", "1.2.3+meta",
	" >=1.2 ", "\t>=1.2\n", "> 1.2", ">=  1.2", "v1.x", "vx", "v1 - v2",
	// Rejected by both.
	"", " ", "||", "1 ||", "|| 1", "banana", ">= banana", ">=>=1", "> =1", "=>=1", "1.2>3",
	"1.2,,3", "1.2,", ",1.2", "1.2 -", "1 - 2 - 3", ">1 - 2", "^1 - 2", "1.0 2 - 3",
	">=1 2 - 3", "1.2.3.4", "1.x.y", "xx", "**", "1|2", "1.2.3-01", "1.2.3-", "=1 - 2",
	"18446744073709551616", "1.2.3 - 18446744073709551616", "1 - 2 - ", "1 - 2x", "1 - 2.3.4.5",
	strings.Repeat("1||", 32) + "1", strings.Repeat(" ", 513), "1 ||2 - 3",
	"2 - 3||4 - 5", "1 - >2",
	// Versions at and past Masterminds' 256 bytes, as written or as it
	// rebuilds them from a wildcard.
	"1.2.3-" + strings.Repeat("a", 250), "1.2.3-" + strings.Repeat("a", 251),
	"1.x-" + strings.Repeat("a", 250), "1.x-" + strings.Repeat("a", 251),
	"x.1-" + strings.Repeat("a", 250), "x.1-" + strings.Repeat("a", 251),
	"12.3.x-" + strings.Repeat("a", 248), "12.3.x-" + strings.Repeat("a", 249),
	"v1.2.3+" + strings.Repeat("b", 250), "v1.2.3+" + strings.Repeat("b", 249),
	"1.x+" + strings.Repeat("b", 300),
}

// looserInMasterminds are constraints Masterminds accepts and ferry
// rejects: characters after a wildcard that it does not read, and hyphen
// ranges touching "||", which its text rewrite reads across the bars.
var looserInMasterminds = []string{
	"x.1x", "1.x.1x", "x.|", "1||2 - 3", "1 - 2||3", "1 - 2|| 3",
}

func TestParseConstraintMatchesMasterminds(t *testing.T) {
	for _, s := range constraintCases {
		_, err := ParseConstraint(s)
		_, merr := masterminds.NewConstraint(s)
		if (err == nil) != (merr == nil) {
			t.Errorf("ParseConstraint(%q): ferry error %v, Masterminds error %v", s, err, merr)
			continue
		}
		compareConstraint(t, s)
	}
	for _, s := range looserInMasterminds {
		if _, err := ParseConstraint(s); err == nil {
			t.Errorf("ParseConstraint(%q) accepted it", s)
		}
		if _, err := masterminds.NewConstraint(s); err != nil {
			t.Errorf("Masterminds now rejects %q (%v): drop it from looserInMasterminds", s, err)
		}
	}
}

// compareConstraint fails the test when ferry accepts s and reads it
// differently from Masterminds.
func compareConstraint(t *testing.T, s string) {
	t.Helper()
	c, err := ParseConstraint(s)
	if err != nil {
		return
	}
	mc, merr := masterminds.NewConstraint(s)
	if merr != nil {
		t.Fatalf("ParseConstraint(%q) accepted what Masterminds rejects: %v", s, merr)
	}
	for _, p := range probes {
		v, err := Parse(p)
		if err != nil {
			t.Fatalf("probe %q: %v", p, err)
		}
		if got, want := c.Check(v), mc.Check(masterminds.MustParse(p)); got != want {
			t.Fatalf("%q.Check(%q) = %v, Masterminds %v", s, p, got, want)
		}
	}
}

func TestConstraintExamples(t *testing.T) {
	for _, tc := range []struct {
		c   string
		yes []string
		no  []string
	}{
		{">= 1.2, < 2", []string{"1.2.0", "1.9.9", "v1.5"}, []string{"1.1.9", "2.0.0", "1.5.0-rc.1"}},
		{"~1.2", []string{"1.2.0", "1.2.9"}, []string{"1.3.0", "1.1.0"}},
		{"^0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0", "0.2.2"}},
		{"1.2 - 1.4.5", []string{"1.2.0", "1.4.5"}, []string{"1.4.6", "1.1.9"}},
		{"2.x || >=3.1", []string{"2.0.0", "3.1.0", "4.0.0"}, []string{"3.0.0", "1.9.0"}},
		{">=1.0.0-rc.1", []string{"1.0.0-rc.2", "1.0.0"}, []string{"1.0.0-alpha"}},
	} {
		c, err := ParseConstraint(tc.c)
		if err != nil {
			t.Fatalf("ParseConstraint(%q): %v", tc.c, err)
		}
		for _, want := range []bool{true, false} {
			list := tc.yes
			if !want {
				list = tc.no
			}
			for _, s := range list {
				if got := c.Check(mustParse(t, s)); got != want {
					t.Errorf("%q.Check(%q) = %v, want %v", tc.c, s, got, want)
				}
			}
		}
	}
}

func TestConstraintErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{">= banana", `"banana" after >= is not a version`},
		{"banana", `"banana" is not an operator and a version`},
		{"1 ||", "a condition is missing"},
		{"1.2,", "missing after a comma"},
		{"1.2>3", "separated by spaces or a comma"},
		{">=1 2 - 3", "must come first or after a comma"},
		{"1||2 - 3", "needs a space"},
		{"18446744073709551616", "out of range"},
		{strings.Repeat("1", 513), "longer than 512 bytes"},
	} {
		_, err := ParseConstraint(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConstraint(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzParse(f *testing.F) {
	for _, s := range versionCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { compareVersion(t, s) })
}

// FuzzParseConstraint holds any constraint ferry accepts to Masterminds'
// reading of it.
func FuzzParseConstraint(f *testing.F) {
	for _, s := range append(constraintCases, looserInMasterminds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { compareConstraint(t, s) })
}

// FuzzWellFormedConstraint builds constraints from well-formed pieces
// (which ferry must accept whenever Masterminds does) and compares them.
func FuzzWellFormedConstraint(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{200, 17, 3, 99, 4, 1, 250, 8, 33, 7, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := buildConstraint(b)
		_, err := ParseConstraint(s)
		_, merr := masterminds.NewConstraint(s)
		if merr == nil && err != nil {
			t.Fatalf("ParseConstraint(%q) rejected a constraint Masterminds reads: %v", s, err)
		}
		compareConstraint(t, s)
	})
}

// buildConstraint turns bytes into a constraint of operators, versions,
// ranges and separators (|| always with spaces around it).
func buildConstraint(b []byte) string {
	next := func() int {
		if len(b) == 0 {
			return 0
		}
		x := int(b[0])
		b = b[1:]
		return x
	}
	ops := []string{"", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^", "> ", ">= "}
	nums := []string{"0", "1", "2", "3", "10", "x", "*", "X", "01"}
	pres := []string{"", "", "", "-alpha", "-1", "-rc.1", "-beta-2", "-0"}
	metas := []string{"", "", "+b1", "+meta.2"}
	seps := []string{" ", ",", ", ", " , ", "  "}
	version := func() string {
		var sb strings.Builder
		if next()%4 == 0 {
			sb.WriteString("v")
		}
		n := 1 + next()%3
		for i := range n {
			if i > 0 {
				sb.WriteString(".")
			}
			sb.WriteString(nums[next()%len(nums)])
		}
		sb.WriteString(pres[next()%len(pres)])
		sb.WriteString(metas[next()%len(metas)])
		return sb.String()
	}
	var groups []string
	for range 1 + next()%3 {
		var sb strings.Builder
		for i := range 1 + next()%3 {
			if i > 0 {
				sb.WriteString(seps[next()%len(seps)])
			}
			if next()%5 == 0 {
				fmt.Fprintf(&sb, "%s - %s", version(), version())
				continue
			}
			sb.WriteString(ops[next()%len(ops)] + version())
		}
		groups = append(groups, sb.String())
	}
	return strings.Join(groups, " || ")
}
