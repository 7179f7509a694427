package serve

import (
	"io"
	"net/http"
	"time"
)

// Access is one request as an access log records it.
type Access struct {
	Time     time.Time // when the request arrived
	Remote   string    // the client's address
	User     string    // the Basic user name offered ("" when none)
	Method   string
	URI      string // path and query, as sent
	Proto    string
	Status   int
	Bytes    int64 // response body bytes written
	Duration time.Duration
}

// AccessLog calls record for every request next answered, once it is
// answered.
func AccessLog(next http.Handler, record func(Access)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := Access{Time: time.Now(), Remote: r.RemoteAddr, Method: r.Method, URI: r.RequestURI, Proto: r.Proto}
		a.User, _, _ = r.BasicAuth()
		cw := &countingWriter{ResponseWriter: w}
		defer func() {
			a.Status, a.Bytes, a.Duration = cw.status, cw.n, time.Since(a.Time)
			if a.Status == 0 {
				a.Status = http.StatusOK
			}
			record(a)
		}()
		next.ServeHTTP(cw, r)
	})
}

// countingWriter remembers the status and counts the body.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// ReadFrom keeps the server's sendfile path for blobs.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := io.Copy(c.ResponseWriter, r)
	c.n += n
	return n, err
}
