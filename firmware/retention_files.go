package firmware

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/drivers/modem/fax"
	"callbox/firmware/store"
)

// recDir is where call recordings are, relative to the data directory
// (acd/queue: rec/<yyyy>/<mm>/<dd>/<call id>.wav).
const recDir = "rec"

// orphans removes files no record points to that are older than their
// class's retention: recordings under rec/ (a crash between deleting a
// recording's record and its file, or between writing a file and
// indexing it) and received faxes under fax/in. A file younger than the
// retention is left alone: it may be a recording still being written.
// Day directories left empty are removed too.
func (p *purgeRun) orphans(ctx context.Context) error {
	if cut, ok := p.cutoff(p.pol.RecordingDays); ok {
		err := p.walkOld(ctx, recDir, cut, func(rel string) bool {
			id := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
			rec, err := store.Get[store.Recording](p.st, id)
			if errors.Is(err, store.ErrNotFound) {
				return true
			}
			// Unreadable: not known to be an orphan.
			return err == nil && path.Clean(rec.Path) != rel
		})
		if err != nil {
			return err
		}
	}
	if cut, ok := p.cutoff(p.pol.MessageDays); ok {
		used := map[string]bool{}
		if err := store.RangeFunc(p.st, "", "", false, func(m store.Message) bool {
			if m.Path != "" {
				used[path.Clean(m.Path)] = true
			}
			return true
		}); err != nil {
			// An unreadable message might point to any file: leave them.
			p.problem("fax orphans not checked: %v", err)
			return nil
		}
		return p.walkOld(ctx, fax.InboxDir, cut, func(rel string) bool { return !used[rel] })
	}
	return nil
}

// walkOld visits the regular files under dir (relative to the data
// directory) last changed before cut and removes those orphan says are
// orphans, then the directories that became empty (not dir itself).
func (p *purgeRun) walkOld(ctx context.Context, dir string, cut time.Time, orphan func(rel string) bool) error {
	root := filepath.Join(p.r.cfg.DataDir, filepath.FromSlash(dir))
	cnt := p.counts[store.PurgeOrphans]
	var dirs []string
	err := filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			p.problem("%s: %v", full, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if full != root {
				dirs = append(dirs, full)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(cut) {
			return nil
		}
		relOS, err := filepath.Rel(p.r.cfg.DataDir, full)
		if err != nil {
			return nil
		}
		rel := filepath.ToSlash(relOS)
		if !orphan(rel) {
			return nil
		}
		if n := p.removeFile(rel); n > 0 || info.Size() == 0 {
			cnt.Deleted++
			cnt.Bytes += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Deepest first, so a month empties after its days. Only the days,
	// months and years that ended before cut: today's directory may be
	// made at any moment for a new recording.
	slices.Reverse(dirs)
	for _, d := range dirs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			continue
		}
		if end, ok := periodEnd(filepath.ToSlash(rel)); ok && !end.After(cut) {
			// Fails, harmlessly, on a directory that still holds files.
			_ = os.Remove(d)
		}
	}
	return nil
}

// periodEnd reads a dated directory ("2026", "2026/11", "2026/11/27")
// and returns the instant (UTC) its period ends.
func periodEnd(rel string) (time.Time, bool) {
	parts := strings.Split(rel, "/")
	if len(parts) > 3 {
		return time.Time{}, false
	}
	var n [3]int
	for i, s := range parts {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 9999 {
			return time.Time{}, false
		}
		n[i] = v
	}
	switch len(parts) {
	case 1:
		return time.Date(n[0]+1, 1, 1, 0, 0, 0, 0, time.UTC), true
	case 2:
		return time.Date(n[0], time.Month(n[1])+1, 1, 0, 0, 0, 0, time.UTC), n[1] <= 12
	}
	return time.Date(n[0], time.Month(n[1]), n[2]+1, 0, 0, 0, 0, time.UTC), n[1] <= 12 && n[2] <= 31
}
