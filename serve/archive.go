package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// tarContent is content read from an uncompressed tar file by offset:
// the file is indexed once (headers only) and every blob is a section of
// it. Nothing is extracted and nothing is written.
type tarContent struct {
	a  *archive.Archive
	ix *ocispec.Index
	// member names each blob's file in the tar; small holds blobs
	// derived in memory (docker-archive manifests).
	member map[digest.Digest]string
	small  map[digest.Digest][]byte
	// compressed are the members served decompressed (docker-archive
	// layers ferry stored compressed).
	compressed map[digest.Digest]compressedMember
}

type compressedMember struct {
	comp archive.Compression
	size int64 // uncompressed
}

// indexTar opens path and indexes it as an uncompressed tar. A
// compressed archive is refused: serving it would mean decompressing it
// to disk first, which is what serving an archive avoids.
func indexTar(ctx context.Context, path string) (*archive.Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", errdefs.ErrInvalidArgument, path)
	}
	head := make([]byte, archive.MagicLen)
	n, _ := f.ReadAt(head, 0)
	if c := archive.Detect(head[:n]); c != archive.None {
		f.Close()
		return nil, fmt.Errorf("%w: the archive is %s-compressed; ferry serves uncompressed archives only (decompress it first)", errdefs.ErrNotSupported, c)
	}
	a, err := archive.Index(ctx, f, st.Size(), f.Close)
	if err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// openOCIArchive serves an oci-archive: the tar of an OCI layout.
func openOCIArchive(ctx context.Context, path string) (*tarContent, error) {
	a, err := indexTar(ctx, path)
	if err != nil {
		return nil, err
	}
	b, err := a.ReadFile(ocilayout.IndexFile, archive.MaxMetadata)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("%w (not an oci-archive?)", err)
	}
	ix, err := ocilayout.ParseIndex(b)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("index.json: %w", err)
	}
	c := &tarContent{a: a, ix: ix, member: map[digest.Digest]string{}}
	for name, e := range a.Entries() {
		if e.Kind == archive.Dir {
			continue
		}
		if d, ok := blobMember(name); ok {
			c.member[d] = name
		}
	}
	return c, nil
}

// blobMember reads the digest of a member named blobs/ALG/HEX.
func blobMember(name string) (digest.Digest, bool) {
	rest, ok := strings.CutPrefix(name, ocilayout.BlobsDir+"/")
	if !ok {
		return "", false
	}
	alg, hex, ok := strings.Cut(rest, "/")
	d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex)
	return d, ok && d.Validate() == nil
}

func (c *tarContent) index(context.Context) (*ocispec.Index, string, error) {
	return c.ix, "archive", nil
}

func (c *tarContent) open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if b, ok := c.small[d]; ok {
		return nopCloser{bytes.NewReader(b)}, int64(len(b)), nil
	}
	name, ok := c.member[d]
	if !ok {
		return nil, 0, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	sr, err := c.a.Open(name)
	if err != nil {
		return nil, 0, err
	}
	if cm, ok := c.compressed[d]; ok {
		return &decompressed{member: sr, comp: cm.comp, size: cm.size}, cm.size, nil
	}
	return nopCloser{sr}, sr.Size(), nil
}

func (c *tarContent) close() error { return c.a.Close() }

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }
