package serve

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// serveTags answers /v2/<name>/tags/list (distribution spec "Listing
// Tags"), in lexical order, paginated by n and last.
func (s *Registry) serveTags(w http.ResponseWriter, r *http.Request, repo string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed()
	}
	v, err := s.currentView(r.Context())
	if err != nil {
		return err
	}
	var tags []string
	for _, e := range v.ix.Manifests {
		if er, tag, ok := entryName(e); ok && tag != "" && (er == repo || er == "") {
			tags = append(tags, tag)
		}
	}
	page, next, err := paginate(tags, r.URL.Query())
	if err != nil {
		return err
	}
	if next != "" {
		setNext(w, "/v2/"+repo+"/tags/list", r.URL.Query(), next)
	}
	return writeJSON(w, r, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{repo, page})
}

// serveCatalog answers /v2/_catalog: the repositories named by
// index.json's REPO:TAG entries, paginated as tags are.
func (s *Registry) serveCatalog(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed()
		}
		v, err := s.currentView(r.Context())
		if err != nil {
			return err
		}
		var repos []string
		for _, e := range v.ix.Manifests {
			if repo, _, ok := entryName(e); ok && repo != "" {
				repos = append(repos, repo)
			}
		}
		page, next, err := paginate(repos, r.URL.Query())
		if err != nil {
			return err
		}
		if next != "" {
			setNext(w, "/v2/_catalog", r.URL.Query(), next)
		}
		return writeJSON(w, r, "application/json", struct {
			Repositories []string `json:"repositories"`
		}{page})
	}()
	if err != nil {
		s.writeError(w, r, err)
	}
}

// paginate sorts names, drops duplicates, keeps those after ?last= and
// at most ?n= of them; next is the last one returned when more follow.
func paginate(names []string, q url.Values) (page []string, next string, err error) {
	slices.Sort(names)
	names = slices.Compact(names)
	if last := q.Get("last"); last != "" {
		i, _ := slices.BinarySearch(names, last)
		for i < len(names) && names[i] <= last {
			i++
		}
		names = names[i:]
	}
	if names == nil {
		names = []string{}
	}
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			return nil, "", newError(http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "n must be a number of at least 0")
		}
		if n < len(names) {
			if n > 0 {
				next = names[n-1]
			}
			names = names[:n]
		}
	}
	return names, next, nil
}

// setNext sets the Link header to the next page (RFC 5988, as the spec's
// "Listing Tags" shows it).
func setNext(w http.ResponseWriter, path string, q url.Values, last string) {
	nq := url.Values{}
	if n := q.Get("n"); n != "" {
		nq.Set("n", n)
	}
	nq.Set("last", last)
	w.Header().Set("Link", "<"+path+"?"+nq.Encode()+`>; rel="next"`)
}

// writeJSON answers 200 with v as JSON of the given content type.
func writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
	return nil
}
