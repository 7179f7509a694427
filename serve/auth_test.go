package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestBasicAuthAndAccessLog: without the right credentials every
// endpoint, /v2/ included, answers 401 with a Basic challenge; with them
// the request goes through; each request is recorded once with its
// status and user.
func TestBasicAuthAndAccessLog(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users, err := ParseHtpasswd(strings.NewReader("# users\nalice:" + string(hash) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := newTestServer(t, "", Options{}).reg
	var mu sync.Mutex
	var log []Access
	srv := httptest.NewServer(AccessLog(BasicAuth(reg, users, "ferry"), func(a Access) {
		mu.Lock()
		log = append(log, a)
		mu.Unlock()
	}))
	defer srv.Close()
	for _, tt := range []struct {
		user, password string
		want           int
	}{{"", "", 401}, {"alice", "wrong", 401}, {"bob", "s3cret", 401}, {"alice", "s3cret", 200}, {"alice", "s3cret", 200}} {
		req, _ := http.NewRequest("GET", srv.URL+"/v2/", nil)
		if tt.user != "" {
			req.SetBasicAuth(tt.user, tt.password)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s/%s: %s, want %d", tt.user, tt.password, resp.Status, tt.want)
		}
		if tt.want == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="ferry"` {
			t.Errorf("challenge: %q", resp.Header.Get("WWW-Authenticate"))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(log) != 5 || log[0].Status != 401 || log[3].Status != 200 || log[3].User != "alice" || log[3].URI != "/v2/" {
		t.Errorf("access log: %+v", log)
	}
	for _, bad := range []string{"", "alice:plain", "alice:{SHA}abc", ":$2y$05$x"} {
		if _, err := ParseHtpasswd(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseHtpasswd(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "plain") || strings.Contains(err.Error(), "abc") {
			t.Errorf("ParseHtpasswd(%q) repeats the secret: %v", bad, err)
		}
	}
}
