package firmware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"callbox/acd/voicemail"
	"callbox/drivers/modem/fax"
	"callbox/firmware/store"
)

// purgeRun is one purge: the policy it follows, its clock reading and
// what it has done so far.
type purgeRun struct {
	r      *Retention
	st     *store.Store
	pol    store.Retention
	now    time.Time
	res    store.PurgeResult
	counts map[store.PurgeClass]*store.PurgeCount
}

func newPurgeRun(r *Retention, pol store.Retention, trigger string) *purgeRun {
	p := &purgeRun{r: r, st: r.cfg.Store, pol: pol, now: r.cfg.Now(), counts: map[store.PurgeClass]*store.PurgeCount{}}
	p.res = store.PurgeResult{Trigger: trigger, Start: p.now}
	for _, c := range store.PurgeClasses {
		p.counts[c] = &store.PurgeCount{Class: c}
	}
	return p
}

// cutoff is the instant before which a class kept days is old enough to
// go; ok is false for 0 (kept forever).
func (p *purgeRun) cutoff(days int) (time.Time, bool) {
	if days <= 0 {
		return time.Time{}, false
	}
	return p.now.AddDate(0, 0, -days), true
}

func (p *purgeRun) problem(format string, args ...any) {
	if len(p.res.Problems) < store.MaxPurgeProblems {
		p.res.Problems = append(p.res.Problems, fmt.Sprintf(format, args...))
	}
}

func (p *purgeRun) result(err error) store.PurgeResult {
	res := p.res
	res.End = p.r.cfg.Now()
	res.Counts = make([]store.PurgeCount, 0, len(store.PurgeClasses))
	for _, c := range store.PurgeClasses {
		res.Counts = append(res.Counts, *p.counts[c])
	}
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

// run takes the classes in order; a class that fails stops the run (the
// store is not writable, the context ended), what was done stays done.
func (p *purgeRun) run(ctx context.Context) error {
	steps := []func(context.Context) error{p.cdrs, p.recordings, p.diskCap, p.contacts, p.agentLogs, p.messages,
		p.voicemail, p.orphans}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// verdict is what a sweep does with one record.
type verdict int

const (
	keep   verdict = iota // not old enough (or not this class's)
	held                  // old enough, on legal hold
	remove                // delete it
	stop                  // keep it and end the sweep (a budget is spent)
)

// doomed is a file to remove once the batch that deleted its record
// has committed.
type doomed struct{ rel string }

// pickFunc decides on one record inside a batch. It may read and write
// other records in the batch (clear a call record's pointer to its
// recording) and name files to remove after the commit.
type pickFunc[T store.Record] func(b *store.Batcher, key string, rec T) (verdict, []doomed, error)

// sweep walks the records of T with keys in [from, to) in batches of at
// most BatchSize deletions (and four times as many records read), each
// one transaction, and deletes what pick says. Unreadable records are
// counted, reported and kept. Files named by pick are removed after
// their batch commits; their sizes count as freed.
func sweep[T store.Record](ctx context.Context, p *purgeRun, class store.PurgeClass, from, to string, pick pickFunc[T]) error {
	var zero T
	kind := zero.Kind()
	cnt := p.counts[class]
	size := p.r.cfg.BatchSize
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			deleted, kept, skipped int
			files                  []doomed
			problems               []string
			next                   string
			more, stopped          bool
		)
		changes, err := store.Batch(p.st, func(b *store.Batcher) error {
			deleted, kept, skipped, files, problems, more, stopped = 0, 0, 0, nil, nil, false, false
			type cand struct {
				key string
				rec T
			}
			var cands []cand
			read := 0
			if err := store.BatchRange(b, from, to, func(k string, rec T, err error) bool {
				if len(cands) >= size || read >= 4*size {
					next, more = k, true
					return false
				}
				read++
				if err != nil {
					skipped++
					problems = append(problems, err.Error())
					return true
				}
				cands = append(cands, cand{k, rec})
				return true
			}); err != nil {
				return err
			}
			for _, c := range cands {
				v, fs, err := pick(b, c.key, c.rec)
				if err != nil {
					return err
				}
				switch v {
				case held:
					kept++
				case remove:
					if err := b.Delete(kind, c.key); err != nil {
						return err
					}
					deleted++
					files = append(files, fs...)
				case stop:
					stopped = true
				}
				if stopped {
					break
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("retention: %s: %w", class, err)
		}
		p.res.Batches++
		if p.r.onBatch != nil {
			p.r.onBatch(len(changes))
		}
		cnt.Deleted += deleted
		cnt.Held += kept
		cnt.Skipped += skipped
		for _, pr := range problems {
			p.problem("%s", pr)
		}
		for _, f := range files {
			cnt.Bytes += p.removeFile(f.rel)
		}
		if stopped || !more {
			return nil
		}
		from = next
	}
}

// removeFile removes a file of the data directory and returns its size
// (0 when it was already gone). A file that cannot be removed is
// reported; the orphan sweep tries it again on a later run.
func (p *purgeRun) removeFile(rel string) int64 {
	if rel == "" || !filepath.IsLocal(filepath.FromSlash(rel)) {
		p.problem("file %q: not inside the data directory", rel)
		return 0
	}
	full := filepath.Join(p.r.cfg.DataDir, filepath.FromSlash(rel))
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil || !info.Mode().IsRegular() {
		p.problem("file %s: %v", rel, err)
		return 0
	}
	if err := os.Remove(full); err != nil {
		p.problem("file %s: %v", rel, err)
		return 0
	}
	return info.Size()
}

// cdrs deletes call records older than CDRDays, each with its recording
// (record and file), unless either is on hold. Call IDs are time-ordered
// (store.NewID), so only the keys before the cutoff are read.
func (p *purgeRun) cdrs(ctx context.Context) error {
	cut, ok := p.cutoff(p.pol.CDRDays)
	if !ok {
		return nil
	}
	return sweep(ctx, p, store.PurgeCDRs, "", store.TimeKey(cut), func(b *store.Batcher, _ string, c store.CDR) (verdict, []doomed, error) {
		if !c.Start.Before(cut) {
			return keep, nil, nil
		}
		if c.Hold {
			return held, nil, nil
		}
		if c.Recording == "" {
			return remove, nil, nil
		}
		rec, err := store.BatchGet[store.Recording](b, c.Recording)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return remove, nil, nil
		case err != nil:
			// An unreadable index entry: keep the call so that the
			// recording is not lost track of; reported.
			p.problem("%v", err)
			return keep, nil, nil
		case rec.Hold:
			return held, nil, nil
		}
		if err := b.Delete(store.KindRecording, rec.ID); err != nil {
			return keep, nil, err
		}
		return remove, []doomed{{rec.Path}}, nil
	})
}

// recordings deletes call recordings older than RecordingDays (the call
// records stay, their pointer cleared).
func (p *purgeRun) recordings(ctx context.Context) error {
	cut, ok := p.cutoff(p.pol.RecordingDays)
	if !ok {
		return nil
	}
	return sweep(ctx, p, store.PurgeRecordings, "", store.TimeKey(cut), func(b *store.Batcher, key string, rec store.Recording) (verdict, []doomed, error) {
		if isVoicemailRecording(key) || (!rec.CreatedAt.IsZero() && !rec.CreatedAt.Before(cut)) {
			return keep, nil, nil
		}
		return p.dropRecording(b, rec)
	})
}

// dropRecording decides on a call recording going: held if it or its
// call is on hold; otherwise its call record stops pointing at it.
func (p *purgeRun) dropRecording(b *store.Batcher, rec store.Recording) (verdict, []doomed, error) {
	if rec.Hold {
		return held, nil, nil
	}
	if rec.CallID != "" {
		c, err := store.BatchGet[store.CDR](b, rec.CallID)
		switch {
		case err == nil && c.Hold:
			return held, nil, nil
		case err == nil && c.Recording == rec.ID:
			c.Recording = ""
			if verr := c.Validate(); verr != nil {
				// A record older firmware wrote that no longer passes:
				// left as it is rather than rewritten.
				p.problem("cdr %s keeps its recording pointer: %v", c.ID, verr)
			} else if err := b.Put(c); err != nil {
				return keep, nil, err
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			p.problem("%v", err)
		}
	}
	return remove, []doomed{{rec.Path}}, nil
}

// diskCap deletes the oldest call recordings, even inside their retention
// time, while the data filesystem is fuller than RecordingDiskPercent or
// the recordings take more than RecordingDiskGiB.
func (p *purgeRun) diskCap(ctx context.Context) error {
	if p.pol.RecordingDiskPercent == 0 && p.pol.RecordingDiskGiB == 0 {
		return nil
	}
	d, err := p.r.disk()
	if err != nil {
		p.problem("disk use: %v", err)
		return nil
	}
	var need int64
	if pct := p.pol.RecordingDiskPercent; pct > 0 && d.Total > 0 {
		if limit := d.Total / 100 * uint64(pct); d.Used > limit {
			need = int64(d.Used - limit)
		}
	}
	if gib := p.pol.RecordingDiskGiB; gib > 0 {
		if limit := uint64(gib) << 30; d.Recordings > limit {
			need = max(need, int64(d.Recordings-limit))
		}
	}
	if need <= 0 {
		return nil
	}
	p.res.CapExceeded = true
	var planned int64
	return sweep(ctx, p, store.PurgeDiskCap, "", "", func(b *store.Batcher, key string, rec store.Recording) (verdict, []doomed, error) {
		if planned >= need {
			return stop, nil, nil
		}
		if isVoicemailRecording(key) {
			return keep, nil, nil
		}
		v, files, err := p.dropRecording(b, rec)
		if v == remove {
			planned += max(rec.Size, 1)
		}
		return v, files, err
	})
}

// contacts deletes contact history and the script answers of calls
// older than ContactDays. Contact IDs are made several ways, so every
// entry is read.
func (p *purgeRun) contacts(ctx context.Context) error {
	cut, ok := p.cutoff(p.pol.ContactDays)
	if !ok {
		return nil
	}
	if err := sweep(ctx, p, store.PurgeContacts, "", "", olderThan(cut, func(c store.Contact) time.Time { return c.At })); err != nil {
		return err
	}
	return sweep(ctx, p, store.PurgeContacts, "", "", olderThan(cut, func(a store.ScriptAnswers) time.Time { return a.At }))
}

// agentLogs deletes agent state changes (time-keyed) and queue interval
// statistics (keyed by queue) older than AgentLogDays.
func (p *purgeRun) agentLogs(ctx context.Context) error {
	cut, ok := p.cutoff(p.pol.AgentLogDays)
	if !ok {
		return nil
	}
	if err := sweep(ctx, p, store.PurgeAgentLogs, "", store.TimeKey(cut), olderThan(cut, func(e store.AgentEvent) time.Time { return e.At })); err != nil {
		return err
	}
	return sweep(ctx, p, store.PurgeAgentLogs, "", "", olderThan(cut, func(iv store.QueueInterval) time.Time { return iv.Start }))
}

// olderThan is a pick that removes records whose time is before cut.
func olderThan[T store.Record](cut time.Time, at func(T) time.Time) pickFunc[T] {
	return func(_ *store.Batcher, _ string, r T) (verdict, []doomed, error) {
		if t := at(r); !t.IsZero() && t.Before(cut) {
			return remove, nil, nil
		}
		return keep, nil, nil
	}
}

// messages deletes SMS and faxes older than MessageDays, with the images
// of received faxes. Outbound messages still queued or sending are kept
// (the outbox owns them), and so are the documents outbound faxes were
// sent from (the fax library's, shared by many messages).
func (p *purgeRun) messages(ctx context.Context) error {
	cut, ok := p.cutoff(p.pol.MessageDays)
	if !ok {
		return nil
	}
	return sweep(ctx, p, store.PurgeMessages, "", "", func(_ *store.Batcher, _ string, m store.Message) (verdict, []doomed, error) {
		if !m.CreatedAt.Before(cut) || m.State == store.StateQueued || m.State == store.StateSending {
			return keep, nil, nil
		}
		if isFaxImage(m) {
			return remove, []doomed{{m.Path}}, nil
		}
		return remove, nil, nil
	})
}

// isFaxImage tells whether a message's file is its own (a received fax
// under fax.InboxDir), to go with it.
func isFaxImage(m store.Message) bool {
	return m.Channel == store.ChannelFax && m.Direction == store.DirectionIn && m.Path != "" &&
		strings.HasPrefix(path.Clean(m.Path), fax.InboxDir+"/")
}

// voicemail deletes heard messages older than VoicemailDays and unheard
// ones older than VoicemailUnheardDays, through the voicemail store (it
// removes the audio, the details and the index entry, and updates the
// message-waiting lamps).
func (p *purgeRun) voicemail(ctx context.Context) error {
	vm := p.r.cfg.Voicemail
	heardCut, heard := p.cutoff(p.pol.VoicemailDays)
	newCut, unheard := p.cutoff(p.pol.VoicemailUnheardDays)
	if vm == nil || (!heard && !unheard) {
		return nil
	}
	boxes, err := vm.Mailboxes()
	if err != nil {
		p.problem("voicemail: %v", err)
		return nil
	}
	cnt := p.counts[store.PurgeVoicemail]
	for _, box := range boxes {
		msgs, err := vm.List(box)
		if err != nil {
			p.problem("voicemail %s: %v", box, err)
			continue
		}
		for _, m := range msgs {
			if err := ctx.Err(); err != nil {
				return err
			}
			old := heard && m.Folder == voicemail.FolderSaved && m.CreatedAt.Before(heardCut) ||
				unheard && m.Folder != voicemail.FolderSaved && m.CreatedAt.Before(newCut)
			if !old {
				continue
			}
			if err := vm.Delete(box, m.ID); err != nil {
				if !errors.Is(err, voicemail.ErrNotFound) {
					p.problem("voicemail %s/%s: %v", box, m.ID, err)
				}
				continue
			}
			cnt.Deleted++
			cnt.Bytes += m.Size
		}
	}
	return nil
}

// voicemailBoxes adapts *voicemail.Store: its mailboxes are the
// directories under dir.
type voicemailBoxes struct {
	*voicemail.Store
	dir string
}

func (v voicemailBoxes) Mailboxes() ([]string, error) {
	ents, err := os.ReadDir(v.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
