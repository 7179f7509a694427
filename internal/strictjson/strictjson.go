// Package strictjson reads JSON objects the way containers/image reads its
// trust files: every member known, none twice. encoding/json alone takes
// the last of two duplicate members and ignores unknown ones, which would
// let a typo in a security policy silently weaken it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Object splits a JSON object into its members, refusing anything that is
// not an object and any member named twice.
func Object(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("expected a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("Duplicate key %q", key)
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

// Only refuses members outside allowed, naming the first unknown one in
// the words containers/image uses.
func Only(m map[string]json.RawMessage, allowed ...string) error {
	for k := range m {
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
				break
			}
		}
		if !known {
			return fmt.Errorf("Unknown key %q", k)
		}
	}
	return nil
}

// String decodes member key of m as a string; ok is false when absent.
func String(m map[string]json.RawMessage, key string) (s string, ok bool, err error) {
	raw, ok := m[key]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, fmt.Errorf("%q must be a string", key)
	}
	return s, true, nil
}

// Sub decodes member key of m as an object with Object; ok is false when
// absent.
func Sub(m map[string]json.RawMessage, key string) (sub map[string]json.RawMessage, ok bool, err error) {
	raw, ok := m[key]
	if !ok {
		return nil, false, nil
	}
	sub, err = Object(raw)
	if err != nil {
		return nil, true, fmt.Errorf("%q: %w", key, err)
	}
	return sub, true, nil
}
