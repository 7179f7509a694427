package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// TagPageSize is the page size asked for when listing tags.
const TagPageSize = 1000

// maxTagPages bounds pagination against a registry that links in circles.
const maxTagPages = 100000

// Tags lists every tag of repo, following the Link header's rel="next"
// (RFC 8288, relative URLs resolved against the request) across pages of
// pageSize (<= 0: TagPageSize), as the distribution spec's "Listing Tags"
// describes.
func (c *Client) Tags(ctx context.Context, repo string, pageSize int) ([]string, error) {
	if pageSize <= 0 {
		pageSize = TagPageSize
	}
	next := "/v2/" + repo + "/tags/list?n=" + strconv.Itoa(pageSize)
	seen := map[string]bool{}
	var tags []string
	for page := 0; next != ""; page++ {
		if page >= maxTagPages || seen[next] {
			return nil, fmt.Errorf("%w: the registry's tag list pages do not end", errdefs.ErrUnavailable)
		}
		seen[next] = true
		resp, err := c.do(ctx, &request{method: http.MethodGet, url: next, scopes: c.scopes(repo)}, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var body struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body)
		drain(resp)
		if err != nil {
			return nil, fmt.Errorf("%w: the registry sent an unreadable tag list: %v", errdefs.ErrUnavailable, err)
		}
		tags = append(tags, body.Tags...)
		next = ""
		if link := nextLink(resp.Header.Values("Link")); link != "" {
			u, err := resp.Request.URL.Parse(link)
			if err != nil {
				return nil, fmt.Errorf("%w: the registry sent a bad Link header", errdefs.ErrUnavailable)
			}
			next = u.String()
		}
	}
	return tags, nil
}

// nextLink finds the target of rel="next" in Link header values
// (RFC 8288 section 3: `<uri-reference>; rel="next"`, several links may
// share a header, separated by commas).
func nextLink(values []string) string {
	for _, v := range values {
		for len(v) > 0 {
			v = strings.TrimLeft(v, " ,")
			if !strings.HasPrefix(v, "<") {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := v[1:end]
			rest := v[end+1:]
			params := rest
			if i := strings.Index(rest, ",<"); i >= 0 {
				params, rest = rest[:i], rest[i+1:]
			} else if i := strings.Index(rest, ", <"); i >= 0 {
				params, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for r := range strings.FieldsSeq(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(r, "next") {
						if _, err := url.Parse(target); err == nil {
							return target
						}
					}
				}
			}
			v = rest
		}
	}
	return ""
}
