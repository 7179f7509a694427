package mirror

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// Shard is one worker's part of a sync split over Count workers that do
// not talk to each other: the images of a source repository all go to
// the worker Index (0 to Count-1) that a stable hash of the repository's
// name picks, so each layer of a repository is moved by one worker and
// registry mounts within it keep working.
type Shard struct {
	Index, Count int
}

// JobIndexEnv is the variable Kubernetes sets in each pod of an Indexed
// Job; ParseShard reads it for "auto/N".
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// ParseShard reads "I/N" (0 <= I < N) or "auto/N", which takes I from
// $JOB_COMPLETION_INDEX.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return Shard{}, fmt.Errorf("%w: --shard %q: want I/N or auto/N, N a positive number", errdefs.ErrInvalidArgument, s)
	}
	what := "--shard " + strconv.Quote(s)
	if is == "auto" {
		is = os.Getenv(JobIndexEnv)
		if is == "" {
			return Shard{}, fmt.Errorf("%w: --shard %q needs $%s (set in the pods of a Kubernetes Indexed Job)", errdefs.ErrInvalidArgument, s, JobIndexEnv)
		}
		what = "$" + JobIndexEnv + "=" + strconv.Quote(is)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w: %s: want an index from 0 to %d", errdefs.ErrInvalidArgument, what, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// owns reports whether this shard takes the repository named repo: FNV-1a
// of the name, modulo Count. The hash never changes between versions, so
// workers of different ferry versions still split the work the same way.
func (s Shard) owns(repo string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(repo))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}
