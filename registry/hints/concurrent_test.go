package hints

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// writerEnv makes the test binary act as one writing process of
// TestConcurrentProcessesKeepEveryHint.
const writerEnv = "FERRY_HINTS_TEST_WRITER"

// rounds is how many times each writer records a hint and saves.
const rounds = 25

// TestMain lets the test binary double as a hints-writing process: with
// writerEnv set to "PATH:ID", it records rounds hints of its own, saving
// after each, and exits.
func TestMain(m *testing.M) {
	if v := os.Getenv(writerEnv); v != "" {
		path, id := filepath.Dir(v), filepath.Base(v)
		if err := writeHints(filepath.Join(path, "hints.json"), id); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeHints records, in a store of its own, rounds blobs under repo id,
// saving after each one.
func writeHints(path, id string) error {
	s := Open(path, nil)
	for i := range rounds {
		s.Record("reg:5000", digestOf(id, i), "repo-"+id)
		if err := s.Save(context.Background()); err != nil {
			return err
		}
	}
	return nil
}

func digestOf(id string, i int) digest.Digest { return dg(1000*atoi(id) + i) }

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// TestConcurrentProcessesKeepEveryHint: processes and independent stores
// in one process save hints into one file at the same time, each with its
// own read-merge-write; under the file lock every record survives.
func TestConcurrentProcessesKeepEveryHint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hints.json")
	const procs, stores = 3, 3
	var wg sync.WaitGroup
	errs := make(chan error, procs+stores)
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), writerEnv+"="+filepath.Join(dir, strconv.Itoa(p)))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer process %d: %v: %s", p, err, out)
			}
		}()
	}
	for s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := writeHints(path, strconv.Itoa(procs+s)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := Open(path, nil)
	lost := 0
	for w := range procs + stores {
		id := strconv.Itoa(w)
		for i := range rounds {
			if got := r.Repos("reg:5000", digestOf(id, i)); !slices.Equal(got, []string{"repo-" + id}) {
				lost++
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d hints lost by concurrent saves", lost, (procs+stores)*rounds)
	}
}
