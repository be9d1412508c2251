package firmware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"callbox/acd/voicemail"
	"callbox/firmware/store"
)

// The retention purge: what grows with every call (call records,
// recordings, contact history, agent logs, messages, voicemail) is
// deleted once the site's policy (store.Retention) says it is old enough,
// nightly at the policy's time and once shortly after start. Deletion
// goes in small transactions (store.Batch), so a call writing its record
// never waits long; a recording's file goes after the record that points
// to it has been deleted, so a crash leaves at worst an orphan file, which
// a later run removes. The bbolt file does not shrink: its free pages are
// reused by new records, so it stops growing instead (compaction is
// offline only and is not done here).

// VoicemailBoxes is the voicemail store as the purge sees it
// (*voicemail.Store with its mailbox directory; voicemailBoxes adapts it).
type VoicemailBoxes interface {
	Mailboxes() ([]string, error)
	List(mailbox string) ([]voicemail.Message, error)
	// Delete removes a message with its audio and index entry.
	Delete(mailbox, id string) error
}

// DiskStat reports the size and the free space (for unprivileged
// writers) of the filesystem holding path, in bytes.
type DiskStat func(path string) (total, avail uint64, err error)

// statfs is DiskStat on the real filesystem.
func statfs(path string) (total, avail uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Blocks * uint64(st.Bsize), st.Bavail * uint64(st.Bsize), nil
}

// RetentionConfig configures the purge service.
type RetentionConfig struct {
	Store   *store.Store // required
	DataDir string       // where recordings (rec/) and fax images (fax/in) are
	// Voicemail, when set, has its heard and unheard messages purged.
	Voicemail VoicemailBoxes
	// Zone is the site's time zone for the nightly time (nil: UTC).
	Zone func() *time.Location
	Now  func() time.Time // nil: time.Now
	// Disk reports the data filesystem (nil: statfs).
	Disk DiskStat
	Log  *slog.Logger
	// BatchSize bounds the records deleted per transaction (0: 256).
	BatchSize int
	// StartDelay is how long after start the first purge runs (0: 2
	// minutes), so that it does not compete with the start itself.
	StartDelay time.Duration
}

// Retention is the purge service. Its runs never overlap: a purge asked
// for while one runs waits for it.
type Retention struct {
	cfg RetentionConfig
	log *slog.Logger

	runMu sync.Mutex // one run at a time

	mu   sync.Mutex
	last store.PurgeResult
	ran  bool
	// disk use as last measured, for the pages that refresh often
	diskAt  time.Time
	diskUse store.DiskUse

	// onBatch, when set (tests), hears the size of every committed batch.
	onBatch func(changes int)
}

// Defaults of the purge service.
const (
	defaultPurgeBatch      = 256
	defaultPurgeStartDelay = 2 * time.Minute
)

// NewRetention returns the purge service.
func NewRetention(cfg RetentionConfig) *Retention {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Disk == nil {
		cfg.Disk = statfs
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultPurgeBatch
	}
	if cfg.StartDelay <= 0 {
		cfg.StartDelay = defaultPurgeStartDelay
	}
	if cfg.Zone == nil {
		cfg.Zone = func() *time.Location { return time.UTC }
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retention{cfg: cfg, log: log}
}

// Name implements Service.
func (r *Retention) Name() string { return "retention" }

// Run purges once StartDelay after start, then every night at the
// policy's time in the site's zone, until ctx ends. The policy is read
// anew for every wait, so a changed time applies from the next night.
func (r *Retention) Run(ctx context.Context) error {
	wait := r.cfg.StartDelay
	trigger := "start"
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if _, err := r.purge(ctx, trigger); err != nil && ctx.Err() == nil {
			r.log.Error("retention: purge", "err", err)
		}
		pol, err := store.GetRetention(r.cfg.Store)
		if err != nil {
			pol = store.DefaultRetention()
		}
		wait = untilPurge(r.cfg.Now(), r.cfg.Zone(), pol.PurgeMinute())
		trigger = "nightly"
	}
}

// untilPurge is how long from now until the next minute-of-day in loc
// (at least a minute, so a run that ends within its own minute does not
// run again). A time skipped by a DST jump runs at the first instant
// after it.
func untilPurge(now time.Time, loc *time.Location, minute int) time.Duration {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	for day := 0; day < 3; day++ {
		at := time.Date(n.Year(), n.Month(), n.Day()+day, minute/60, minute%60, 0, 0, loc)
		if d := at.Sub(now); d >= time.Minute {
			return d
		}
	}
	return 24 * time.Hour
}

// PurgeNow runs a purge at once (the admin's button) and returns its
// result; it waits for a purge already running to end first. Cancelling
// ctx stops it between two batches.
func (r *Retention) PurgeNow(ctx context.Context) (store.PurgeResult, error) {
	return r.purge(ctx, "manual")
}

// LastPurge returns the result of the last run, if one has run since
// start.
func (r *Retention) LastPurge() (store.PurgeResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.ran
}

// diskFresh is how long RecordingDisk answers from its last reading:
// summing the recordings reads the whole index, and the status page
// refreshes every 30 seconds.
const diskFresh = time.Minute

// RecordingDisk reports the data filesystem and the bytes of call
// recordings in the index, as measured within the last minute.
func (r *Retention) RecordingDisk() (store.DiskUse, error) {
	now := r.cfg.Now()
	r.mu.Lock()
	if !r.diskAt.IsZero() && now.Sub(r.diskAt) < diskFresh && now.Sub(r.diskAt) >= 0 {
		d := r.diskUse
		r.mu.Unlock()
		return d, nil
	}
	r.mu.Unlock()
	d, err := r.disk()
	if err != nil {
		return d, err
	}
	r.keepDisk(now, d)
	return d, nil
}

func (r *Retention) keepDisk(at time.Time, d store.DiskUse) {
	r.mu.Lock()
	r.diskAt, r.diskUse = at, d
	r.mu.Unlock()
}

func (r *Retention) disk() (store.DiskUse, error) {
	var d store.DiskUse
	total, avail, err := r.cfg.Disk(r.cfg.DataDir)
	if err != nil {
		return d, err
	}
	d.Total = total
	if avail < total {
		d.Used = total - avail
	}
	err = store.RangeFunc(r.cfg.Store, "", "", false, func(rec store.Recording) bool {
		if !isVoicemailRecording(rec.ID) && rec.Size > 0 {
			d.Recordings += uint64(rec.Size)
		}
		return true
	})
	return d, err
}

// isVoicemailRecording tells voicemail's index entries (acd/voicemail
// names them "vm-<mailbox>-<id>") from call recordings: voicemail has its
// own class.
func isVoicemailRecording(id string) bool { return strings.HasPrefix(id, "vm-") }

// purge runs one whole purge, writes its audit entry and publishes its
// result.
func (r *Retention) purge(ctx context.Context, trigger string) (store.PurgeResult, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	pol, err := store.GetRetention(r.cfg.Store)
	if err != nil {
		return store.PurgeResult{}, fmt.Errorf("retention: policy: %w", err)
	}
	p := newPurgeRun(r, pol, trigger)
	err = p.run(ctx)
	res := p.result(err)
	if d, derr := r.disk(); derr == nil {
		res.Disk = d
		r.keepDisk(res.End, d)
	} else if len(res.Problems) < store.MaxPurgeProblems {
		res.Problems = append(res.Problems, fmt.Sprintf("disk use: %v", derr))
	}
	r.mu.Lock()
	r.last, r.ran = res, true
	r.mu.Unlock()
	r.audit(res)
	attrs := []any{"trigger", trigger, "deleted", res.Deleted(), "bytes", res.Bytes(), "batches", res.Batches,
		"ms", res.End.Sub(res.Start).Milliseconds()}
	for _, c := range res.Counts {
		if c.Deleted > 0 || c.Held > 0 || c.Skipped > 0 {
			attrs = append(attrs, string(c.Class), fmt.Sprintf("%d/%dB held %d skipped %d", c.Deleted, c.Bytes, c.Held, c.Skipped))
		}
	}
	if err != nil {
		r.log.Warn("retention: purge stopped", append(attrs, "err", err)...)
	} else {
		r.log.Info("retention: purge", attrs...)
	}
	return res, err
}

// audit writes the run's one audit entry: each class with what it
// deleted and freed.
func (r *Retention) audit(res store.PurgeResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "trigger: %s\n", res.Trigger)
	for _, c := range res.Counts {
		fmt.Fprintf(&b, "%s: %d deleted, %d bytes freed", c.Class, c.Deleted, c.Bytes)
		if c.Held > 0 {
			fmt.Fprintf(&b, ", %d on hold", c.Held)
		}
		if c.Skipped > 0 {
			fmt.Fprintf(&b, ", %d unreadable", c.Skipped)
		}
		b.WriteByte('\n')
	}
	if res.CapExceeded {
		b.WriteString("disk cap exceeded: oldest recordings deleted early\n")
	}
	for _, p := range res.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	if res.Err != "" {
		fmt.Fprintf(&b, "stopped: %s\n", res.Err)
	}
	detail := b.String()
	if rs := []rune(detail); len(rs) > store.MaxAuditDetail {
		detail = string(rs[:store.MaxAuditDetail-1]) + "…"
	}
	a := store.Audit{ID: store.NewID(res.End), At: res.End, User: "system", Action: "purge", Of: store.KindRetention,
		Name: store.RetentionKey, Detail: detail}
	if _, err := store.Create(r.cfg.Store, a); err != nil && !errors.Is(err, store.ErrReadOnly) {
		r.log.Warn("retention: audit entry not written", "err", err)
	}
}
