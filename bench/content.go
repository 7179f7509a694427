//go:build linux

package main

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// content produces the bytes of the generated image's files: deterministic
// for a seed, and shaped like a real root filesystem so compression ratios
// are realistic. Most files are text made of words from a fixed vocabulary
// (source code, docs, configs compress ~3-4x with gzip); a share are random
// bytes (already-compressed assets, stripped binaries, which do not
// compress). Together the layers land near 2.5x, typical of Docker Hub.
type content struct {
	rng   *rand.Rand
	vocab [][]byte
}

// randomShare is the chance that a file is incompressible.
const randomShare = 0.10

// repeatShare is the chance that a text line repeats a recent one.
const repeatShare = 0.25

func newContent(seed uint64) *content {
	c := &content{rng: rand.New(rand.NewPCG(seed, 0x6665727279))}
	// The vocabulary is the same for every seed, like a language shared by
	// all files; 4096 words of 2-11 letters with a few punctuation marks.
	vr := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for range 4096 {
		w := make([]byte, 2+vr.IntN(10))
		for i := range w {
			if i == 0 {
				w[i] = letters[vr.IntN(26)]
			} else {
				w[i] = letters[vr.IntN(len(letters))]
			}
		}
		c.vocab = append(c.vocab, w)
	}
	return c
}

// fileSize draws a file size, log-uniform between 1 KiB and 4 MiB, so
// most files are small and most bytes are in big ones, as in real images.
func (c *content) fileSize() int {
	return int(1024 * math.Exp2(c.rng.Float64()*12))
}

// isRandom decides whether the next file is incompressible.
func (c *content) isRandom() bool { return c.rng.Float64() < randomShare }

// fill writes n bytes of file content into buf (reused) and returns it.
func (c *content) fill(buf []byte, n int, random bool) []byte {
	buf = buf[:0]
	if random {
		for len(buf) < n {
			v := c.rng.Uint64()
			buf = append(buf, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
				byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
		}
		return buf[:n]
	}
	// Words chosen with a skewed distribution (a few common words, a long
	// tail), lines of 4-15 words, occasional indentation and numbers; a
	// share of lines repeat a recent one, as boilerplate does in code.
	var recent [16][2]int
	for line := 0; len(buf) < n; line++ {
		if line >= len(recent) && c.rng.Float64() < repeatShare {
			r := recent[c.rng.IntN(len(recent))]
			buf = append(buf, buf[r[0]:r[1]]...)
			continue
		}
		start := len(buf)
		if c.rng.IntN(4) == 0 {
			buf = append(buf, "\t\t"[:1+c.rng.IntN(2)]...)
		}
		words := 4 + c.rng.IntN(12)
		for w := range words {
			if w > 0 {
				buf = append(buf, ' ')
			}
			switch k := c.rng.IntN(64); {
			case k == 0:
				buf = strconv.AppendInt(buf, c.rng.Int64N(1_000_000), 10)
			case k < 40:
				buf = append(buf, c.vocab[c.rng.IntN(128)]...)
			default:
				buf = append(buf, c.vocab[c.rng.IntN(len(c.vocab))]...)
			}
		}
		buf = append(buf, '\n')
		recent[line%len(recent)] = [2]int{start, len(buf)}
	}
	return buf[:n]
}
