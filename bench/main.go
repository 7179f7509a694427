//go:build linux

// Command bench measures ferry against its peers (skopeo, crane, regctl)
// in one run, on one machine, with public tools only, and reports ratios.
//
// It starts a real registry (distribution/v3) on loopback, pushes a
// generated multi-layer image to it with plain HTTP calls, puts toxiproxy
// in front of it to emulate a slow link, then runs each tool on each
// scenario (-runs times; median reported), measuring wall time, peak RSS,
// bytes fetched from the registry and, for archives, peak disk use. Every
// output is checked, so a failing tool shows as failed, not fast.
//
//	go run ./bench -size 200MiB -scenarios fast,throttled
//
// Tables go to stdout, progress to stderr, and -json FILE keeps all runs.
// `make bench BENCHFLAGS="-size 200MiB"` does the same.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	size          int64
	sizeText      string
	cache         string
	work          string
	scenarios     []string
	tools         map[string]bool
	runs          int
	timeout       time.Duration
	bandwidth     int64 // bytes per second per connection
	bandwidthText string
	latency       time.Duration
	resumeAt      float64
	jsonOut       string
	ferryBin      string
	baselineBin   string
	peers         string
	keep          bool
}

func main() {
	var (
		o         options
		scenarios string
		tools     string
		bw        string
		probeRef  string
		probeOut  string
	)
	cacheDefault := filepath.Join(os.TempDir(), "ferry-bench-cache")
	if d, err := os.UserCacheDir(); err == nil {
		cacheDefault = filepath.Join(d, "ferry-bench")
	}
	peersDefault := os.Getenv("FERRY_BENCH_PEERS")
	if peersDefault == "" {
		peersDefault = "/tmp/peers"
	}
	var names []string
	for _, s := range allScenarios {
		names = append(names, s.Name)
	}
	flag.StringVar(&o.sizeText, "size", "1GiB", "compressed size of the generated image (5 layers: 40/25/15/12/8%)")
	flag.StringVar(&o.cache, "cache", cacheDefault, "directory caching generated images between runs")
	flag.StringVar(&o.work, "workdir", os.TempDir(), "parent of the temporary work directory (registries, outputs)")
	flag.StringVar(&scenarios, "scenarios", strings.Join(names, ","), "comma-separated scenarios to run")
	flag.StringVar(&tools, "tools", "", "comma-separated tools to run (default: ferry, skopeo, crane, regctl, limit)")
	flag.IntVar(&o.runs, "runs", 3, "runs per tool and scenario; the median is reported")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "time limit of one command run")
	flag.StringVar(&bw, "bandwidth", "10MB", "throttled link: rate per connection, per second (decimal units)")
	flag.DurationVar(&o.latency, "latency", 50*time.Millisecond, "throttled link: latency added to responses")
	flag.Float64Var(&o.resumeAt, "resume-at", 0.5, "resume scenario: kill the first run after this share of the image")
	flag.StringVar(&o.jsonOut, "json", "", "also write every result to this JSON file")
	flag.StringVar(&o.ferryBin, "ferry", "", "ferry binary to measure (default: go build ./cmd/ferry)")
	flag.StringVar(&o.baselineBin, "baseline", "", "an earlier ferry binary measured in the same run as \"ferry-base\" (before/after a change)")
	flag.StringVar(&o.peers, "peers", peersDefault, "directory searched for peers before PATH ($FERRY_BENCH_PEERS)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory and outputs (for debugging)")
	flag.StringVar(&probeRef, "probe", "", "internal: run the limit probe on http://HOST/REPO:TAG")
	flag.StringVar(&probeOut, "probe-out", "", "internal: the limit probe's output directory")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if probeRef != "" {
		if err := probe(ctx, probeRef, probeOut); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	err := parseOptions(&o, scenarios, tools, bw)
	if err == nil {
		err = runBench(ctx, o)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		stop()
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func parseOptions(o *options, scenarios, tools, bw string) error {
	var err error
	if o.size, err = parseSize(o.sizeText); err != nil {
		return fmt.Errorf("-size: %w", err)
	}
	if o.size < 1<<20 {
		return fmt.Errorf("-size: %s is too small (at least 1MiB)", o.sizeText)
	}
	if o.bandwidth, err = parseSize(bw); err != nil {
		return fmt.Errorf("-bandwidth: %w", err)
	}
	o.bandwidthText = strings.TrimSuffix(bw, "/s")
	if o.runs < 1 {
		return fmt.Errorf("-runs: want at least 1")
	}
	if o.resumeAt <= 0 || o.resumeAt >= 1 {
		return fmt.Errorf("-resume-at: want a share between 0 and 1")
	}
	for _, s := range strings.Split(scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !knownScenario(s) {
			return fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
		o.scenarios = append(o.scenarios, s)
	}
	o.tools = map[string]bool{}
	for _, t := range strings.Split(tools, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.tools[t] = true
		}
	}
	return nil
}

func wantsSync(names []string) bool {
	for _, n := range names {
		if n == "sync" || n == "resync" {
			return true
		}
	}
	return false
}

func knownScenario(name string) bool {
	for _, s := range allScenarios {
		if s.Name == name {
			return true
		}
	}
	return false
}

// report is what -json writes.
type report struct {
	Started   time.Time         `json:"started"`
	Machine   machine           `json:"machine"`
	Settings  map[string]any    `json:"settings"`
	Image     *benchImage       `json:"image"`
	Tools     []*tool           `json:"tools"`
	Scenarios []*scenarioResult `json:"scenarios"`
}

// runBench sets everything up, runs the chosen scenarios and reports.
func runBench(ctx context.Context, o options) error {
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }
	rep := &report{Started: time.Now().UTC(), Machine: describeMachine(), Settings: map[string]any{
		"size": o.size, "runs": o.runs, "timeoutSeconds": o.timeout.Seconds(), "bandwidthBytesPerSecond": o.bandwidth,
		"latencyMillis": o.latency.Milliseconds(), "resumeAt": o.resumeAt, "scenarios": o.scenarios,
	}}

	work, err := os.MkdirTemp(o.work, "ferry-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			logf("kept %s", work)
			return
		}
		_ = os.RemoveAll(work)
	}()

	b := &bench{opts: o, work: work, logf: logf,
		client: &http.Client{Transport: &http.Transport{Proxy: nil}}}
	b.tools = findTools(ctx, o.tools, o.ferryBin, o.baselineBin, moduleRoot(), work, o.peers, logf)
	rep.Tools = b.tools
	for _, t := range b.tools {
		if t.Missing != "" {
			logf("tools: %s", t)
		}
	}
	if b.im, err = loadOrGenerate(o.cache, o.size, logf); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	rep.Image = b.im

	if b.src, err = startRegistry(filepath.Join(work, "registry-src")); err != nil {
		return err
	}
	defer b.src.Close()
	start := time.Now()
	if err := pushImage(ctx, b.client, b.src.URL(), "bench", "1", b.im); err != nil {
		return fmt.Errorf("push to the source registry: %w", err)
	}
	if err := warmImage(ctx, b.client, b.src.URL(), "bench", b.im); err != nil {
		return fmt.Errorf("read back from the source registry: %w", err)
	}
	logf("registry: pushed %s to %s/bench:1 in %s", fmtBytes(b.im.Compressed()), b.src.Host, fmtDur(time.Since(start)))

	if wantsSync(o.scenarios) {
		b.syncImgs = genSmallImages()
		start := time.Now()
		if err := pushSmallImages(ctx, b.client, b.src.URL(), b.syncImgs); err != nil {
			return fmt.Errorf("push the sync images: %w", err)
		}
		logf("registry: pushed %d sync images in %s", len(b.syncImgs), fmtDur(time.Since(start)))
	}

	var chosen []scenario
	for _, s := range allScenarios {
		for _, name := range o.scenarios {
			if s.Name == name {
				chosen = append(chosen, s)
			}
		}
	}
	for _, s := range chosen {
		if s.Slow && b.link == nil {
			if b.link, err = startSlowLink(b.src.Host, o.bandwidth/1000, o.latency.Milliseconds()); err != nil {
				return err
			}
			defer b.link.Close()
		}
	}

	printHeader(os.Stdout, rep.Machine, b.im, o, b.tools)
	var loads []string
	for _, s := range chosen {
		if ctx.Err() != nil {
			break
		}
		logf("scenario %s: %s", s.Name, s.Title)
		before := loadAvg()
		res := b.runScenario(ctx, s)
		res.Load = [2]string{before, loadAvg()}
		loads = append(loads, fmt.Sprintf("%s %s / %s", s.Name, strings.Fields(before)[0], strings.Fields(res.Load[1])[0]))
		rep.Scenarios = append(rep.Scenarios, res)
		if ctx.Err() == nil {
			printScenario(os.Stdout, res, b.im, o)
		}
	}
	if ctx.Err() == nil && len(rep.Scenarios) > 0 {
		printReadme(os.Stdout, rep.Scenarios, b.im, o, loads)
	}
	if o.jsonOut != "" {
		if err := writeJSON(o.jsonOut, rep); err != nil {
			return errors.Join(ctx.Err(), err)
		}
		logf("results written to %s", o.jsonOut)
	}
	return ctx.Err()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}
