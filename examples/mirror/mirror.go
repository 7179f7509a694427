package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/progress"
)

// mirror copies images into one registry, several at once, over one
// ferry.Client: each registry is reached, and its token obtained, once.
type mirror struct {
	to       string
	insecure []string // registry hosts allowed plain HTTP
	jobs     int
	stdout   io.Writer
	stderr   io.Writer

	mu sync.Mutex // serializes output lines
}

// run copies every image and returns how many failed.
func (m *mirror) run(ctx context.Context, images []string) int {
	opts := []ferry.Option{ferry.WithProgress(m.progress)}
	if len(m.insecure) > 0 {
		opts = append(opts, ferry.WithInsecure(m.insecure...))
	}
	c, err := ferry.NewClient(opts...)
	if err != nil {
		m.printf(m.stderr, "mirror: %v\n", err)
		return len(images)
	}
	defer c.Close()

	var failed atomic.Int32
	slots := make(chan struct{}, m.jobs)
	var wg sync.WaitGroup
	for _, src := range images {
		dst, err := destination(src, m.to)
		if err != nil {
			m.printf(m.stderr, "%s: %v\n", src, err)
			failed.Add(1)
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			res, err := c.Copy(ctx, src, dst, ferry.WithLabel(src))
			if err != nil {
				m.printf(m.stderr, "%s: %v\n", src, err)
				failed.Add(1)
				return
			}
			m.printf(m.stdout, "%s %s\n", res.Digest, dst)
		})
	}
	wg.Wait()
	return int(failed.Load())
}

// progress reports each image's start and end on stderr.
func (m *mirror) progress(e ferry.Event) {
	switch e.Kind {
	case progress.ImageStarted:
		m.printf(m.stderr, "copying %s\n", e.Image)
	case progress.ImageDone:
		m.printf(m.stderr, "done    %s (%s)\n", e.Image, e.Descriptor.Digest)
	}
}

func (m *mirror) printf(w io.Writer, format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, format, args...)
}

// destination is where src goes under "HOST[/PREFIX]": the repository
// path without the source's registry, with its tag or digest.
func destination(src, to string) (string, error) {
	ref, err := ferry.ParseReference(src)
	if err != nil {
		return "", err
	}
	name := ref.DockerReference()
	if ref.Transport() != "docker" || name == "" {
		return "", fmt.Errorf("%w: only docker:// images can be mirrored", ferry.ErrUnsupported)
	}
	_, repo, _ := strings.Cut(name, "/") // docker.io/library/nginx:1.27 -> library/nginx:1.27
	return "docker://" + strings.TrimSuffix(to, "/") + "/" + repo, nil
}
