package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The retention policy: how long the box keeps what grows with every
// call (call records, recordings, contact history, agent logs and
// interval statistics, SMS and faxes, voicemail), and how much of the
// disk recordings may take. The purge service (firmware/retention.go)
// reads it every run. Like the CTI's kinds, the bucket came without a
// schema step: Open creates it in a file of the current schema, and a box
// upgraded from firmware without it has no record, so GetRetention gives
// it the defaults — no migration is needed.

// KindRetention holds the one retention policy (key RetentionKey).
const KindRetention Kind = "retention"

// RetentionKey is the key of the retention policy.
const RetentionKey = "policy"

// Bounds of the retention settings.
const (
	MaxRetentionDays   = 36500 // a hundred years: "forever" is 0
	MinDiskPercent     = 10
	MaxDiskPercent     = 99
	MaxRecordingDiskGB = 1 << 20
)

// The message keys of the retention checks (firmware/i18n/retention.go).
const (
	codeDiskPercent       = "store.err.disk_percent"
	codeRecordingOutlives = "store.err.recording_outlives_cdr"
	codePurgeAt           = "store.err.purge_at"
)

// Retention is how long each class of history is kept, in days; 0 keeps
// it forever. A record or recording on legal hold (CDR.Hold,
// Recording.Hold) is never purged. Key: RetentionKey.
type Retention struct {
	// CDRDays keeps call records; a call record's recording goes with it.
	CDRDays int `json:"cdrDays"`
	// RecordingDays keeps call recordings (never longer than their call
	// records).
	RecordingDays int `json:"recordingDays"`
	// ContactDays keeps contact history (and the script answers of calls).
	ContactDays int `json:"contactDays"`
	// AgentLogDays keeps the agent state log and the queues' interval
	// statistics.
	AgentLogDays int `json:"agentLogDays"`
	// MessageDays keeps SMS and faxes, with received fax images.
	MessageDays int `json:"messageDays"`
	// VoicemailDays keeps heard (saved) voicemail; VoicemailUnheardDays
	// keeps unheard voicemail, 0 meaning until it is heard.
	VoicemailDays        int `json:"voicemailDays"`
	VoicemailUnheardDays int `json:"voicemailUnheardDays"`
	// RecordingDiskPercent caps recordings by how full the data
	// filesystem may get (percent, 0: no cap); RecordingDiskGiB caps the
	// recordings' own size (GiB, 0: no cap). Past a cap the oldest
	// recordings go first, even inside their retention time.
	RecordingDiskPercent int `json:"recordingDiskPercent"`
	RecordingDiskGiB     int `json:"recordingDiskGiB"`
	// PurgeAt is the time of the nightly purge, "HH:MM" in the site's
	// time zone.
	PurgeAt   string    `json:"purgeAt"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// DefaultRetention is the policy of a new (or newly upgraded) box: a year
// of call records, contact history and messages, 90 days of recordings,
// 180 days of agent logs, 60 days of heard voicemail (unheard kept until
// heard), recordings capped at 85 % of the disk, purged at 03:30.
func DefaultRetention() Retention {
	return Retention{CDRDays: 365, RecordingDays: 90, ContactDays: 365, AgentLogDays: 180, MessageDays: 365,
		VoicemailDays: 60, RecordingDiskPercent: 85, PurgeAt: "03:30"}
}

// GetRetention returns the stored policy, or DefaultRetention when none
// was saved.
func GetRetention(s *Store) (Retention, error) {
	r, err := Get[Retention](s, RetentionKey)
	if isNotFound(err) {
		return DefaultRetention(), nil
	}
	return r, err
}

// Kind implements Record.
func (Retention) Kind() Kind { return KindRetention }

// Key implements Record.
func (Retention) Key() string { return RetentionKey }

// Validate implements Record.
func (r Retention) Validate() error {
	var f fields
	for _, d := range []struct {
		name string
		v    int
	}{{"cdrDays", r.CDRDays}, {"recordingDays", r.RecordingDays}, {"contactDays", r.ContactDays}, {"agentLogDays", r.AgentLogDays},
		{"messageDays", r.MessageDays}, {"voicemailDays", r.VoicemailDays}, {"voicemailUnheardDays", r.VoicemailUnheardDays}} {
		f.intRange(d.name, d.v, 0, MaxRetentionDays)
	}
	// Deleting a call record deletes its recording, so a recording cannot
	// be kept longer than its call record.
	if r.CDRDays > 0 && (r.RecordingDays == 0 || r.RecordingDays > r.CDRDays) {
		f.add("recordingDays", codeRecordingOutlives, r.CDRDays)
	}
	if r.RecordingDiskPercent != 0 && (r.RecordingDiskPercent < MinDiskPercent || r.RecordingDiskPercent > MaxDiskPercent) {
		f.add("recordingDiskPercent", codeDiskPercent, MinDiskPercent, MaxDiskPercent)
	}
	f.intRange("recordingDiskGiB", r.RecordingDiskGiB, 0, MaxRecordingDiskGB)
	if m, ok := parseClock(r.PurgeAt); !ok || m >= minutesPerDay {
		f.add("purgeAt", codePurgeAt)
	}
	return f.result(KindRetention, RetentionKey)
}

// PurgeMinute is the minute of the day (0-1439) of the nightly purge;
// an unparsable PurgeAt gives the default's.
func (r Retention) PurgeMinute() int {
	if m, ok := parseClock(r.PurgeAt); ok && m < minutesPerDay {
		return m
	}
	m, _ := parseClock(DefaultRetention().PurgeAt)
	return m
}

// Batcher is one write transaction of several changes (Batch). It is only
// valid inside the function given to Batch.
type Batcher struct {
	s       *Store
	tx      *bolt.Tx
	changes []Change
}

// Batch runs fn in one write transaction: what it deletes and puts
// commits together (each change logged on the feed with its own sequence
// number), or, when fn returns an error, not at all. The purge keeps each
// batch small, so calls writing their records never wait long.
func Batch(s *Store, fn func(b *Batcher) error) ([]Change, error) {
	if s.opts.readOnly {
		return nil, fmt.Errorf("%w: batch", ErrReadOnly)
	}
	b := &Batcher{s: s}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b.tx, b.changes = tx, nil
		return fn(b)
	})
	b.tx = nil
	if err != nil {
		return nil, s.mapErr(err)
	}
	for _, c := range b.changes {
		s.committed(c)
	}
	return b.changes, nil
}

// Delete removes the record of kind with key; a key that is not there is
// no change and no error (it went between the read and the write).
func (b *Batcher) Delete(kind Kind, key string) error {
	if !kind.Valid() {
		return fmt.Errorf("store: unknown kind %q", kind)
	}
	bk := b.tx.Bucket([]byte(kind))
	if bk == nil || bk.Get([]byte(key)) == nil {
		return nil
	}
	c, err := b.s.apply(b.tx, kind, key, OpDelete, nil, modeMustExist)
	if err != nil {
		return err
	}
	b.changes = append(b.changes, c)
	return nil
}

// Put validates and stores r.
func (b *Batcher) Put(r Record) error {
	c, err := b.s.putTx(b.tx, r)
	if err != nil {
		return err
	}
	b.changes = append(b.changes, c)
	return nil
}

// BatchGet reads the record of T's kind with key inside the batch:
// ErrNotFound if absent, ErrCorrupt if it does not decode.
func BatchGet[T Record](b *Batcher, key string) (T, error) {
	var r T
	kind := r.Kind()
	bk := b.tx.Bucket([]byte(kind))
	var v []byte
	if bk != nil {
		v = bk.Get([]byte(key))
	}
	if v == nil {
		return r, fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
	}
	r, err := decode[T](v)
	if err != nil {
		return r, fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, key, err)
	}
	return r, nil
}

// BatchRange calls fn for each record of T's kind with from <= key < to
// ("" for to: no upper bound), in key order, until fn returns false. A
// record that does not decode is passed with its error (wrapping
// ErrCorrupt) and a zero value, so a purge can skip and report it. fn
// must not write: collect the keys, then Delete them after BatchRange
// returns (bbolt cursors do not survive changes to their bucket).
func BatchRange[T Record](b *Batcher, from, to string, fn func(key string, r T, err error) bool) error {
	var zero T
	kind := zero.Kind()
	bk := b.tx.Bucket([]byte(kind))
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	for k, v := c.Seek([]byte(from)); k != nil && (to == "" || string(k) < to); k, v = c.Next() {
		if v == nil {
			continue // a nested bucket, not a record
		}
		r, err := decode[T](v)
		if err != nil {
			err = fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, k, err)
		}
		if !fn(string(k), r, err) {
			return nil
		}
	}
	return nil
}

// PurgeClass names one class of history a purge deletes.
type PurgeClass string

// The purge classes, in the order a run takes them.
const (
	PurgeCDRs       PurgeClass = "cdrs"
	PurgeRecordings PurgeClass = "recordings"
	PurgeDiskCap    PurgeClass = "diskcap" // recordings deleted early because a disk cap was passed
	PurgeContacts   PurgeClass = "contacts"
	PurgeAgentLogs  PurgeClass = "agentlogs"
	PurgeMessages   PurgeClass = "messages"
	PurgeVoicemail  PurgeClass = "voicemail"
	PurgeOrphans    PurgeClass = "orphans" // files on disk no record points to
)

// PurgeClasses lists the classes in run order.
var PurgeClasses = []PurgeClass{PurgeCDRs, PurgeRecordings, PurgeDiskCap, PurgeContacts, PurgeAgentLogs,
	PurgeMessages, PurgeVoicemail, PurgeOrphans}

// PurgeCount is what a purge did to one class.
type PurgeCount struct {
	Class PurgeClass `json:"class"`
	// Deleted counts records (or files, for orphans) deleted.
	Deleted int `json:"deleted"`
	// Bytes freed on disk by the files deleted with them.
	Bytes int64 `json:"bytes"`
	// Held counts records past their time kept for a legal hold.
	Held int `json:"held,omitempty"`
	// Skipped counts records that could not be read (reported, kept).
	Skipped int `json:"skipped,omitempty"`
}

// DiskUse is the data filesystem and the recordings' share of it.
type DiskUse struct {
	Total      uint64 `json:"total"`      // bytes of the filesystem
	Used       uint64 `json:"used"`       // bytes in use (by anything)
	Recordings uint64 `json:"recordings"` // bytes of call recordings (their index)
}

// Percent is how full the filesystem is (0 when its size is unknown).
func (d DiskUse) Percent() float64 {
	if d.Total == 0 {
		return 0
	}
	return float64(d.Used) * 100 / float64(d.Total)
}

// MaxPurgeProblems bounds PurgeResult.Problems.
const MaxPurgeProblems = 50

// PurgeResult is the outcome of one purge run, as the status page, the
// retention page and the audit log show it.
type PurgeResult struct {
	// Trigger is "start", "nightly" or "manual".
	Trigger string    `json:"trigger"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Counts is one entry per class, in PurgeClasses order.
	Counts []PurgeCount `json:"counts"`
	// Batches counts the write transactions the run made.
	Batches int `json:"batches"`
	// Disk is the disk use after the run; CapExceeded tells whether a
	// cap was passed at the start (and recordings were deleted early).
	Disk        DiskUse `json:"disk"`
	CapExceeded bool    `json:"capExceeded,omitempty"`
	// Problems lists records skipped and files not removed (at most
	// MaxPurgeProblems); Err is what stopped the run early, if anything.
	Problems []string `json:"problems,omitempty"`
	Err      string   `json:"error,omitempty"`
}

// Deleted is the total count deleted.
func (p PurgeResult) Deleted() int {
	n := 0
	for _, c := range p.Counts {
		n += c.Deleted
	}
	return n
}

// Bytes is the total of bytes freed on disk.
func (p PurgeResult) Bytes() int64 {
	var n int64
	for _, c := range p.Counts {
		n += c.Bytes
	}
	return n
}

// Count returns the entry of class (zero if the run did not reach it).
func (p PurgeResult) Count(class PurgeClass) PurgeCount {
	for _, c := range p.Counts {
		if c.Class == class {
			return c
		}
	}
	return PurgeCount{Class: class}
}

func init() {
	recordVersions[KindRetention] = 1
	codecs[KindRetention] = codecFor[Retention]()
}
