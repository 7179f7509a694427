package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
)

// recordFile, in a layout --dest oci writes, remembers for each ref name
// the source manifest it was copied from and with which options. A copy
// into an OCI layout converts Docker manifests to OCI ones (skopeo reads
// only those from a layout), so the digest at the destination differs
// from the source's; the record lets the next sync recognise the image
// from the source's digest alone. Losing the file costs only a slower
// re-sync. Other tools ignore it (the layout spec reserves no other
// names than oci-layout, index.json and blobs/).
const recordFile = ".ferry-sync.json"

// syncRecord is one ref name's entry in recordFile.
type syncRecord struct {
	Source  digest.Digest `json:"source"`
	Digest  digest.Digest `json:"digest"`
	Options string        `json:"options"`
}

// ociState is what a sync into one OCI layout knows about it.
type ociState struct {
	root    string
	options string // the copy options that decide the manifest written
	index   map[string]digest.Digest
	before  map[string]syncRecord

	mu    sync.Mutex
	added map[string]syncRecord
}

// prepareDestination makes the OCI layout every image of --dest oci goes
// into, so that concurrent copies update one layout instead of racing to
// create it, and reads which ref names it holds and what the last sync
// recorded. The layout's lock covers the check and the creation, as
// shards on a shared volume may start together.
func (p *Plan) prepareDestination(ctx context.Context) error {
	if p.o.Destination != OCI || len(p.Images) == 0 {
		return nil
	}
	root := p.Images[0].Destination.(*layout.Reference).Path
	s := &ociState{root: root, index: map[string]digest.Digest{}, added: map[string]syncRecord{},
		options: optionsKey(&p.o)}
	if err := os.MkdirAll(root, fsutil.DirPerm); err != nil {
		return err
	}
	lay := ocilayout.At(root)
	lk, err := lay.Lock(ctx)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	ix, exists, err := lay.ReadIndex()
	if err != nil {
		return err
	}
	if !exists {
		if err := lay.Init(); err != nil {
			return err
		}
		if err := lay.WriteIndex(ocilayout.NewIndex()); err != nil {
			return err
		}
		ix = ocilayout.NewIndex()
	}
	for _, m := range ix.Manifests {
		if name := ocilayout.RefName(m); name != "" {
			s.index[name] = m.Digest
		}
	}
	s.before = readRecords(root)
	p.oci = s
	return nil
}

// optionsKey names the options that decide what manifest a copy writes.
func optionsKey(o *Options) string {
	b, _ := json.Marshal([]any{o.Copy.Format, o.Copy.MultiArch, o.Copy.Platforms, o.Copy.Platform, o.Copy.PreserveDigests})
	return string(b)
}

func readRecords(root string) map[string]syncRecord {
	out := map[string]syncRecord{}
	b, err := os.ReadFile(filepath.Join(root, recordFile))
	if err == nil {
		_ = json.Unmarshal(b, &out) // a damaged record only costs a full check
	}
	return out
}

// wrote reports whether the last sync wrote dst (the digest now under
// dst's ref name) from the source manifest src, with the same options.
func (s *ociState) wrote(dstRef transport.Reference, src, dst digest.Digest) bool {
	r, ok := dstRef.(*layout.Reference)
	if s == nil || !ok {
		return false
	}
	rec, ok := s.before[r.Ref]
	return ok && rec.Source == src && rec.Digest == dst && rec.Options == s.options
}

// record notes that dst's ref name now holds written, copied from src.
func (s *ociState) record(dstRef transport.Reference, src, written digest.Digest) {
	r, ok := dstRef.(*layout.Reference)
	if s == nil || !ok || src == "" {
		return
	}
	s.mu.Lock()
	s.added[r.Ref] = syncRecord{Source: src, Digest: written, Options: s.options}
	s.mu.Unlock()
}

// save merges what this run recorded into recordFile under the layout's
// lock, so that shards writing the same layout keep each other's entries.
func (s *ociState) save(ctx context.Context, log *slog.Logger) {
	if s == nil || len(s.added) == 0 {
		return
	}
	lay := ocilayout.At(s.root)
	lk, err := lay.Lock(ctx)
	if err != nil {
		log.Warn("could not record what was synced; the next sync checks every image", "error", err)
		return
	}
	defer lk.Unlock()
	all := readRecords(s.root)
	for k, v := range s.added {
		all[k] = v
	}
	b, err := json.Marshal(all)
	if err == nil {
		err = fsutil.WriteFile(filepath.Join(s.root, recordFile), b)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("could not record what was synced; the next sync checks every image", "error", err)
	}
}
