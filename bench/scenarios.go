//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// scenario is one way of moving the image, run by every tool that can.
type scenario struct {
	Name  string  `json:"name"`
	Title string  `json:"title"`
	Kind  outKind `json:"-"`
	// Slow routes the pull through the throttled link.
	Slow bool `json:"slow"`
	// Disk samples the disk use of the run's sandbox (output + TMPDIR).
	Disk bool `json:"-"`
	// Resume kills the first run midway and measures the second.
	Resume bool `json:"-"`
}

var allScenarios = []scenario{
	{Name: "fast", Title: "registry -> oci: layout, fast link (loopback, no shaping)", Kind: kindOCI},
	{Name: "throttled", Title: "registry -> oci: layout, throttled link", Kind: kindOCI, Slow: true},
	{Name: "archive", Title: "registry -> docker-archive: file, fast link", Kind: kindArchive, Disk: true},
	{Name: "registry", Title: "registry -> second registry (no cross-repo mounts), fast link", Kind: kindRegistry},
	{Name: "resume", Title: "resume after SIGKILL, registry -> oci: layout, throttled link", Kind: kindOCI, Slow: true, Resume: true},
	{Name: "sync", Title: "sync of 100 small 2-layer images (10 repositories x 10 tags, YAML source) to a second registry, throttled link", Kind: kindSync, Slow: true},
	{Name: "resync", Title: "the same sync again, nothing changed (requests counted at the source)", Kind: kindResync, Slow: true},
}

// bench holds the running setup shared by the scenarios.
type bench struct {
	opts   options
	im     *benchImage
	src    *registry
	dst    *registry // the registry scenario's destination, new for every run
	link   *slowLink // nil unless a throttled scenario runs
	tools  []*tool
	work   string
	client *http.Client
	logf   func(string, ...any)
	// syncImgs are the sync scenarios' images, pushed to src when one runs.
	syncImgs []smallImage
}

// row is one tool's result in one scenario.
type row struct {
	Tool   string        `json:"tool"`
	Status string        `json:"status"` // ok, failed, n/a
	Note   string        `json:"note,omitempty"`
	Args   []string      `json:"args,omitempty"`
	Runs   []runResult   `json:"runs,omitempty"`
	Median *runResult    `json:"median,omitempty"`
	Resume *resumeResult `json:"resume,omitempty"`
}

// resumeResult is the resume scenario's measure for one tool.
type resumeResult struct {
	First  runResult `json:"first"`
	Second runResult `json:"second"`
	// FirstReceived and SecondFetched are bytes the throttled link
	// delivered to the tool in each run.
	FirstReceived int64 `json:"firstReceivedBytes"`
	SecondFetched int64 `json:"secondFetchedBytes"`
	// Refetched is what the second run fetched again of what the first
	// had already received: first + second - image, at least 0.
	Refetched int64 `json:"refetchedBytes"`
}

type scenarioResult struct {
	scenario
	Rows    []*row   `json:"rows"`
	Summary []string `json:"summary,omitempty"`
	// Load is the machine's load averages (1, 5, 15 min) before and
	// after the scenario: other work on the machine skews every tool.
	Load [2]string `json:"loadAverages"`
}

// runScenario measures every tool in sc: -runs rounds, tools taking
// turns within a round so slow drifts of the machine hit all alike, each
// round starting with the next tool.
func (b *bench) runScenario(ctx context.Context, sc scenario) *scenarioResult {
	res := &scenarioResult{scenario: sc}
	var active []*tool
	rows := map[string]*row{}
	for _, t := range b.tools {
		if t.Name == probeName && (sc.Slow || t.argv(sc.Kind, target{}) == nil) {
			continue // the probe bounds pulls over the fast link only
		}
		r := &row{Tool: t.Name}
		res.Rows = append(res.Rows, r)
		rows[t.Name] = r
		switch {
		case t.Missing != "":
			r.Status, r.Note = "n/a", t.Missing
		case t.argv(sc.Kind, target{}) == nil:
			r.Status, r.Note = "n/a", "no command for this scenario"
		default:
			active = append(active, t)
		}
	}
	rounds := b.opts.runs
	if sc.Resume {
		rounds = 1
	}
	if !sc.Resume && len(active) > 0 {
		// A run not measured first: the first run of a scenario wrote its
		// output into memory the kernel had to reclaim from the page
		// cache, while every later run finds free the memory of the
		// output deleted before it. At 4 GiB ferry's first run took 10.9
		// to 13.2 s where its second took 7.6 to 8.0 s, whichever build.
		rr := b.once(ctx, sc, active[0], 0, rows[active[0].Name])
		b.logf("[%s] %s warm-up run (not measured): %s", sc.Name, active[0].Name, describe(rr))
	}
	for round := 1; round <= rounds; round++ {
		// None always runs first, right after the harness's setup or
		// the last round's end.
		k := (round - 1) % max(1, len(active))
		order := append(slices.Clone(active[k:]), active[:k]...)
		for _, t := range order {
			if ctx.Err() != nil {
				return res
			}
			r := rows[t.Name]
			if sc.Resume {
				b.resume(ctx, sc, t, r)
				continue
			}
			rr := b.once(ctx, sc, t, round, r)
			r.Runs = append(r.Runs, rr)
			b.logf("[%s] %s run %d/%d: %s", sc.Name, t.Name, round, rounds, describe(rr))
		}
	}
	for _, r := range res.Rows {
		if r.Status == "" {
			r.Status, r.Note = "ok", ""
			for _, rr := range r.Runs {
				if rr.Err != "" {
					r.Status, r.Note = "failed", rr.Err
					break
				}
			}
			if r.Status == "ok" && r.Resume == nil {
				r.Median = median(r.Runs)
			}
		}
	}
	res.Summary = summarize(res, b.im)
	return res
}

// prepare makes a sandbox and the command line for one run. The registry
// scenario gets an empty destination registry of its own (stored beside
// the sandbox): a blob already in a destination lets a tool skip the
// upload or mount it across repositories, which is not what is measured,
// and skopeo run as root remembers blob locations in
// /var/lib/containers/cache across runs.
func (b *bench) prepare(sc scenario, t *tool, round int, r *row) (*sandbox, target, error) {
	box, err := newSandbox(filepath.Join(b.work, sc.Name, t.Name, fmt.Sprintf("r%d", round), "box"))
	if err != nil {
		return nil, target{}, err
	}
	if sc.Kind == kindRegistry || isSync(sc.Kind) {
		if b.dst, err = startRegistry(filepath.Join(filepath.Dir(box.Dir), "registry")); err != nil {
			return nil, target{}, err
		}
	}
	tg := target{SrcHost: b.src.Host, Out: filepath.Join(box.Dir, "out")}
	if sc.Slow {
		tg.SrcHost = b.link.Host
	}
	tg.Src = tg.SrcHost + "/bench:1"
	if sc.Kind == kindArchive {
		tg.Out += ".tar"
	}
	if sc.Kind == kindRegistry {
		tg.DstHost = b.dst.Host
		tg.Dst = tg.DstHost + "/copy:1"
	}
	if isSync(sc.Kind) {
		tg.DstHost, tg.Dst = b.dst.Host, b.dst.Host+"/mirror"
		tg.YAML = filepath.Join(box.Dir, "sync.yaml")
		if err := os.WriteFile(tg.YAML, []byte(syncYAML(tg.SrcHost)), 0o644); err != nil {
			return nil, target{}, err
		}
	}
	r.Args = t.argv(sc.Kind, tg)
	return box, tg, nil
}

// onDisk tells whether a scenario's output is on local disk, so its time
// runs until the output is there (see runSpec.ToDisk).
func onDisk(k outKind) bool { return k == kindOCI || k == kindArchive }

func isSync(k outKind) bool { return k == kindSync || k == kindResync }

// once runs t once in sc, checks its output and cleans up after it.
func (b *bench) once(ctx context.Context, sc scenario, t *tool, round int, r *row) runResult {
	box, tg, err := b.prepare(sc, t, round, r)
	if err != nil {
		return runResult{Err: err.Error()}
	}
	defer b.cleanup(box)
	spec := runSpec{Tool: t, Args: r.Args, Box: box, Timeout: b.opts.timeout, SampleDisk: sc.Disk, ToDisk: onDisk(sc.Kind)}
	if sc.Kind == kindResync {
		// Fill the destination first (not measured), with the same tool.
		if fill := run(ctx, spec); fill.Err != "" {
			return runResult{Err: "first sync: " + fill.Err}
		}
	}
	rr := b.measure(ctx, spec, sc)
	if rr.Err == "" {
		rr.OutSize, rr.Err = b.check(ctx, sc, tg, round, t)
	}
	return rr
}

// measure runs s with the counters zeroed and reads them afterwards.
func (b *bench) measure(ctx context.Context, s runSpec, sc scenario) runResult {
	b.src.Reset()
	if b.dst != nil {
		b.dst.Reset()
	}
	var before int64
	if sc.Slow {
		before = b.link.Delivered()
	}
	rr := run(ctx, s)
	rr.Wire = b.src.Counters()
	if sc.Slow {
		rr.Delivered = b.link.Delivered() - before
	}
	if b.dst != nil && (sc.Kind == kindRegistry || isSync(sc.Kind)) {
		rr.Pushed = b.dst.Counters().UploadBytes
	}
	return rr
}

// check verifies what a run produced; it returns the output size.
func (b *bench) check(ctx context.Context, sc scenario, tg target, round int, t *tool) (int64, string) {
	var n int64
	var err error
	switch sc.Kind {
	case kindOCI:
		n, err = checkOCI(tg.Out, b.im)
	case kindArchive:
		n, err = checkArchive(tg.Out, b.im)
	case kindRegistry:
		err = checkRegistry(ctx, b.client, b.dst.URL(), "copy", b.im)
	case kindSync, kindResync:
		err = checkSync(ctx, b.client, b.dst.URL(), b.syncImgs)
	}
	if err != nil {
		return n, "output check: " + err.Error()
	}
	return n, ""
}

// cleanup stops the run's destination registry and removes its files.
func (b *bench) cleanup(box *sandbox) {
	if b.dst != nil {
		b.dst.Close()
		b.dst = nil
	}
	if !b.opts.keep {
		_ = os.RemoveAll(filepath.Dir(box.Dir))
	}
}

// resume starts a throttled pull, SIGKILLs it once the link has delivered
// the -resume-at share of the image, then runs the same command again in
// the same sandbox (same HOME, TMPDIR, output) and measures what that
// second run had to fetch.
func (b *bench) resume(ctx context.Context, sc scenario, t *tool, r *row) {
	box, tg, err := b.prepare(sc, t, 1, r)
	if err != nil {
		r.Runs = append(r.Runs, runResult{Err: err.Error()})
		return
	}
	defer b.cleanup(box)
	threshold := int64(b.opts.resumeAt * float64(b.im.Compressed()))
	start := b.link.Delivered()
	spec := runSpec{Tool: t, Args: r.Args, Box: box, Timeout: b.opts.timeout,
		KillWhen: func() bool { return b.link.Delivered()-start >= threshold }}
	first := b.measure(ctx, spec, sc)
	b.logf("[%s] %s first run: %s", sc.Name, t.Name, describe(first))
	rs := &resumeResult{First: first, FirstReceived: first.Delivered}
	r.Resume = rs
	if !first.Killed {
		if first.Err == "" {
			first.Err = "finished before it could be killed (raise -size)"
		}
		r.Runs = append(r.Runs, first)
		return
	}
	// Let the dead connections drain out of the proxy before counting again.
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Second):
	}
	spec.KillWhen = nil
	second := b.measure(ctx, spec, sc)
	if second.Err == "" {
		second.OutSize, second.Err = b.check(ctx, sc, tg, 1, t)
	}
	b.logf("[%s] %s second run: %s", sc.Name, t.Name, describe(second))
	rs.Second, rs.SecondFetched = second, second.Delivered
	rs.Refetched = max(0, rs.FirstReceived+rs.SecondFetched-b.im.Compressed())
	r.Runs = append(r.Runs, second)
}

// median takes, field by field, the median of successful runs.
func median(runs []runResult) *runResult {
	if len(runs) == 0 {
		return nil
	}
	pick := func(f func(runResult) int64) int64 {
		v := make([]int64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	return &runResult{
		Wall:       time.Duration(pick(func(r runResult) int64 { return int64(r.Wall) })),
		ToDisk:     time.Duration(pick(func(r runResult) int64 { return int64(r.ToDisk) })),
		MaxRSSKiB:  pick(func(r runResult) int64 { return r.MaxRSSKiB }),
		MaxAnonKiB: pick(func(r runResult) int64 { return r.MaxAnonKiB }),
		Wire: wireCount{
			BlobBytesOut: pick(func(r runResult) int64 { return r.Wire.BlobBytesOut }),
			BlobGets:     pick(func(r runResult) int64 { return r.Wire.BlobGets }),
			UploadBytes:  pick(func(r runResult) int64 { return r.Wire.UploadBytes }),
			Requests:     pick(func(r runResult) int64 { return r.Wire.Requests }),
			ManifestGets: pick(func(r runResult) int64 { return r.Wire.ManifestGets }),
			TagLists:     pick(func(r runResult) int64 { return r.Wire.TagLists }),
		},
		Delivered: pick(func(r runResult) int64 { return r.Delivered }),
		Pushed:    pick(func(r runResult) int64 { return r.Pushed }),
		DiskPeak:  pick(func(r runResult) int64 { return r.DiskPeak }),
		OutSize:   pick(func(r runResult) int64 { return r.OutSize }),
	}
}

// describe is a one-line progress note for stderr.
func describe(r runResult) string {
	s := fmt.Sprintf("%s, %s RSS (%s anon), %s MB fetched", fmtDur(r.Wall), fmtBytes(r.MaxRSSKiB*1024), fmtBytes(r.MaxAnonKiB*1024), mb(r.Fetched()))
	if r.ToDisk > 0 {
		s = fmt.Sprintf("%s on disk (exit %s)", fmtDur(r.ToDisk), s)
	}
	if r.Killed {
		s += fmt.Sprintf(", killed after %s MB delivered", mb(r.Delivered))
	}
	if r.Err != "" {
		s += ", FAILED: " + r.Err
	}
	return s
}
