package auth

import (
	"slices"
	"strings"
)

// Scope is a resource scope of Docker's token specification
// ("repository:library/nginx:pull,push"), the access a token is asked for.
type Scope struct {
	Type    string // "repository", "registry"
	Name    string
	Actions []string
}

// Actions used in repository scopes.
const (
	ActionPull   = "pull"
	ActionPush   = "push"
	ActionDelete = "delete"
)

// Repository is the scope of a repository with the given actions.
func Repository(name string, actions ...string) Scope {
	return Scope{Type: "repository", Name: name, Actions: actions}
}

// String renders the scope as the token service expects it.
func (s Scope) String() string {
	return s.Type + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

// ParseScope parses "type:name:actions"; the name may hold a colon (a
// registry host with a port).
func ParseScope(s string) (Scope, bool) {
	i, j := strings.IndexByte(s, ':'), strings.LastIndexByte(s, ':')
	if i <= 0 || j <= i {
		return Scope{}, false
	}
	var actions []string
	for a := range strings.SplitSeq(s[j+1:], ",") {
		if a != "" {
			actions = append(actions, a)
		}
	}
	return Scope{Type: s[:i], Name: s[i+1 : j], Actions: actions}, true
}

// ParseScopes parses a challenge's space-separated scope parameter.
func ParseScopes(s string) []Scope {
	var out []Scope
	for f := range strings.FieldsSeq(s) {
		if sc, ok := ParseScope(f); ok {
			out = append(out, sc)
		}
	}
	return out
}

// MergeScopes returns the union of scope lists: one entry per resource,
// with sorted, de-duplicated actions, resources sorted, so equal access
// gives an equal cache key.
func MergeScopes(lists ...[]Scope) []Scope {
	type res struct{ typ, name string }
	acts := map[res][]string{}
	for _, l := range lists {
		for _, s := range l {
			k := res{s.Type, s.Name}
			acts[k] = append(acts[k], s.Actions...)
		}
	}
	out := make([]Scope, 0, len(acts))
	for k, a := range acts {
		slices.Sort(a)
		out = append(out, Scope{Type: k.typ, Name: k.name, Actions: slices.Compact(a)})
	}
	slices.SortFunc(out, func(a, b Scope) int {
		return strings.Compare(a.Type+":"+a.Name, b.Type+":"+b.Name)
	})
	return out
}

// Covers reports whether have grants every action of want.
func Covers(have, want []Scope) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Type == w.Type && h.Name == w.Name {
				found = true
				for _, a := range w.Actions {
					if !slices.Contains(h.Actions, a) && !slices.Contains(h.Actions, "*") {
						return false
					}
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func scopeKey(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}
