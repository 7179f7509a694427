// Package mirror is ferry's sync: it lists the images a source holds (a
// registry repository, a tree of dir: images, or skopeo's YAML file),
// names each one at the destination as skopeo sync does, and copies them
// with the copier, several at once, over one set of registry sessions and
// one transfer limit.
//
// A sync runs in two steps, so that bad input fails before anything is
// copied:
//
//  1. NewPlan lists and filters every image (--include-tag,
//     --exclude-tag, the newest-N cap, the shard) and names its
//     destination; a malformed file, a bad pattern or an unreachable
//     source ends here.
//  2. Plan.Run copies the images, Options.Images at a time. An image the
//     destination already holds is recognised from its manifest digest
//     (one HEAD at the source, one at a registry destination, a file read
//     for dir: and oci:) and skipped without fetching anything else.
//
// The package prints nothing: results go to Options.OnResult, in plan
// order, and blob and image events to Options.Copy.Progress.
package mirror
