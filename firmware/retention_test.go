package firmware

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"callbox/acd/voicemail"
	"callbox/drivers/modem/fax"
	"callbox/firmware/store"
)

// retentionRig is a store, a data directory and a fake clock and disk.
type retentionRig struct {
	t       testing.TB
	st      *store.Store
	dbPath  string
	dataDir string
	now     time.Time
	mu      sync.Mutex
	// disk: total bytes and bytes used by things other than recordings;
	// the recordings' files are added when asked.
	total, other uint64
}

var retentionNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func newRetentionRig(t testing.TB) *retentionRig {
	t.Helper()
	dir := t.TempDir()
	g := &retentionRig{t: t, dbPath: filepath.Join(dir, "callbox.db"), dataDir: filepath.Join(dir, "data"), now: retentionNow,
		total: 1 << 40}
	g.open()
	return g
}

func (g *retentionRig) open() {
	st, err := store.Open(g.dbPath, store.WithClock(g.clock))
	if err != nil {
		g.t.Fatal(err)
	}
	g.st = st
	g.t.Cleanup(func() { _ = st.Close() })
}

func (g *retentionRig) clock() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

// disk is a DiskStat: other bytes plus the files under rec/.
func (g *retentionRig) disk(string) (uint64, uint64, error) {
	used := g.other
	_ = filepath.WalkDir(filepath.Join(g.dataDir, recDir), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				used += uint64(info.Size())
			}
		}
		return nil
	})
	return g.total, g.total - min(used, g.total), nil
}

func (g *retentionRig) service(vm VoicemailBoxes) *Retention {
	return NewRetention(RetentionConfig{Store: g.st, DataDir: g.dataDir, Voicemail: vm, Now: g.clock, Disk: g.disk, BatchSize: 64})
}

func (g *retentionRig) policy(p store.Retention) {
	g.t.Helper()
	if _, err := store.Put(g.st, p); err != nil {
		g.t.Fatal(err)
	}
}

// forever is a policy that keeps everything, to start tests from.
func forever() store.Retention {
	return store.Retention{PurgeAt: "03:30"}
}

func daysAgo(d int) time.Time { return retentionNow.AddDate(0, 0, -d) }

func callRecord(id string, start time.Time) store.CDR {
	return store.CDR{ID: id, Caller: "+8613800138000", Callee: "600", Direction: store.DirectionIn, Start: start,
		End: start.Add(time.Minute), Disposition: store.DispositionNoAnswer}
}

// call stores a call record of start with a recording file of size
// bytes, and returns its ID.
func (g *retentionRig) call(start time.Time, size int) string {
	g.t.Helper()
	id := store.NewID(start)
	rel := path.Join(recDir, start.UTC().Format("2006/01/02"), id+".wav")
	full := filepath.Join(g.dataDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(full, bytes.Repeat([]byte{0x55}, size), 0o640); err != nil {
		g.t.Fatal(err)
	}
	c := callRecord(id, start)
	c.Recording = id
	rec := store.Recording{ID: id, Path: rel, SHA256: strings.Repeat("ab", 32), Size: int64(size), CallID: id, CreatedAt: start}
	if _, err := store.PutAll(g.st, c, rec); err != nil {
		g.t.Fatal(err)
	}
	return id
}

func (g *retentionRig) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(g.dataDir, filepath.FromSlash(rel)))
	return err == nil
}

func has[T store.Record](t testing.TB, st *store.Store, key string) bool {
	t.Helper()
	_, err := store.Get[T](st, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func purge(t testing.TB, r *Retention) store.PurgeResult {
	t.Helper()
	res, err := r.PurgeNow(context.Background())
	if err != nil {
		t.Fatalf("purge: %v (%+v)", err, res)
	}
	return res
}

func TestRetention_CallRecordsGoWithTheirRecordingsYoungerOnesStay(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 365, 90
	g.policy(p)
	old := g.call(daysAgo(400), 1000)
	mid := g.call(daysAgo(100), 500) // call kept, recording past its 90 days
	young := g.call(daysAgo(10), 700)
	oldRec, _ := store.Get[store.Recording](g.st, old)
	midRec, _ := store.Get[store.Recording](g.st, mid)

	res := purge(t, g.service(nil))

	if has[store.CDR](t, g.st, old) || has[store.Recording](t, g.st, old) || g.exists(oldRec.Path) {
		t.Error("the 400-day-old call or its recording is still there")
	}
	c, err := store.Get[store.CDR](g.st, mid)
	if err != nil || c.Recording != "" {
		t.Errorf("100-day-old call: %+v %v (want kept, recording pointer cleared)", c, err)
	}
	if has[store.Recording](t, g.st, mid) || g.exists(midRec.Path) {
		t.Error("the 100-day-old recording is still there")
	}
	if !has[store.CDR](t, g.st, young) || !has[store.Recording](t, g.st, young) {
		t.Error("the 10-day-old call lost its record or recording")
	}
	if got := res.Count(store.PurgeCDRs); got.Deleted != 1 || got.Bytes != 1000 {
		t.Errorf("cdrs: %+v", got)
	}
	if got := res.Count(store.PurgeRecordings); got.Deleted != 1 || got.Bytes != 500 {
		t.Errorf("recordings: %+v", got)
	}
	// The day directory of the old call emptied and went.
	if g.exists(path.Dir(oldRec.Path)) {
		t.Error("the empty day directory of the old recording is still there")
	}
	audit, err := store.AuditTail(g.st, 1)
	if err != nil || len(audit) != 1 || audit[0].Action != "purge" || !strings.Contains(audit[0].Detail, "cdrs: 1 deleted, 1000 bytes freed") {
		t.Fatalf("audit entry: %+v %v", audit, err)
	}
	if last, ok := g.service(nil).LastPurge(); ok {
		t.Errorf("a new service reports a last purge: %+v", last)
	}
}

func TestRetention_HistoryClassesKeepTheirOwnDays(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.ContactDays, p.AgentLogDays, p.MessageDays = 30, 20, 10
	g.policy(p)
	put := func(rs ...store.Record) {
		t.Helper()
		if _, err := store.PutAll(g.st, rs...); err != nil {
			t.Fatal(err)
		}
	}
	contact := func(id string, at time.Time) store.Contact {
		return store.Contact{ID: id, Number: "+8613800138000", Channel: store.ChannelCall, Direction: store.DirectionIn, At: at}
	}
	answers := func(at time.Time) store.ScriptAnswers {
		return store.ScriptAnswers{CallID: store.NewID(at), Queue: "sales", At: at, Answers: []store.ScriptAnswer{{Node: "q1", Value: "yes"}}}
	}
	event := func(at time.Time) store.AgentEvent {
		return store.AgentEvent{ID: store.NewID(at), At: at, Agent: "11", From: "ready", To: "paused"}
	}
	interval := func(at time.Time) store.QueueInterval {
		return store.QueueInterval{Queue: "sales", Start: at.Truncate(15 * time.Minute), Offered: 1}
	}
	sms := func(id string, at time.Time, state store.MessageState, dir store.Direction) store.Message {
		return store.Message{ID: id, Channel: store.ChannelSMS, Direction: dir, Number: "+8613800138000", Text: "hi", State: state, CreatedAt: at}
	}
	faxIn := func(id string, at time.Time) store.Message {
		rel := fax.InboxDir + "/" + id + ".tif"
		full := filepath.Join(g.dataDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("II*\x00fax"), 0o640); err != nil {
			t.Fatal(err)
		}
		return store.Message{ID: id, Channel: store.ChannelFax, Direction: store.DirectionIn, Number: "+8613800138000", Path: rel,
			Pages: 1, State: store.StateReceived, CreatedAt: at}
	}
	oldA, youngA := answers(daysAgo(31)), answers(daysAgo(29))
	oldE, youngE := event(daysAgo(21)), event(daysAgo(19))
	oldI, youngI := interval(daysAgo(21)), interval(daysAgo(19))
	put(contact("k-old", daysAgo(31)), contact("k-young", daysAgo(29)), oldA, youngA, oldE, youngE, oldI, youngI,
		sms("m-old", daysAgo(11), store.StateReceived, store.DirectionIn), sms("m-young", daysAgo(9), store.StateReceived, store.DirectionIn),
		sms("m-stuck", daysAgo(50), store.StateQueued, store.DirectionOut),
		faxIn("f-old", daysAgo(11)), faxIn("f-young", daysAgo(9)))

	res := purge(t, g.service(nil))

	for _, c := range []struct {
		name string
		ok   bool
		want bool
	}{
		{"old contact", has[store.Contact](t, g.st, "k-old"), false},
		{"young contact", has[store.Contact](t, g.st, "k-young"), true},
		{"old script answers", has[store.ScriptAnswers](t, g.st, oldA.Key()), false},
		{"young script answers", has[store.ScriptAnswers](t, g.st, youngA.Key()), true},
		{"old agent event", has[store.AgentEvent](t, g.st, oldE.Key()), false},
		{"young agent event", has[store.AgentEvent](t, g.st, youngE.Key()), true},
		{"old interval", has[store.QueueInterval](t, g.st, oldI.Key()), false},
		{"young interval", has[store.QueueInterval](t, g.st, youngI.Key()), true},
		{"old sms", has[store.Message](t, g.st, "m-old"), false},
		{"young sms", has[store.Message](t, g.st, "m-young"), true},
		{"queued outbound sms", has[store.Message](t, g.st, "m-stuck"), true},
		{"old fax", has[store.Message](t, g.st, "f-old"), false},
		{"old fax image", g.exists(fax.InboxDir + "/f-old.tif"), false},
		{"young fax image", g.exists(fax.InboxDir + "/f-young.tif"), true},
	} {
		if c.ok != c.want {
			t.Errorf("%s: present %v, want %v", c.name, c.ok, c.want)
		}
	}
	if n := res.Count(store.PurgeContacts).Deleted; n != 2 {
		t.Errorf("contacts deleted %d, want 2", n)
	}
	if n := res.Count(store.PurgeAgentLogs).Deleted; n != 2 {
		t.Errorf("agent logs deleted %d, want 2", n)
	}
	if c := res.Count(store.PurgeMessages); c.Deleted != 2 || c.Bytes != 7 {
		t.Errorf("messages: %+v", c)
	}
}

func TestRetention_ZeroDaysKeepEverythingForever(t *testing.T) {
	g := newRetentionRig(t)
	g.policy(forever())
	id := g.call(daysAgo(3000), 100)
	if _, err := store.Put(g.st, store.AgentEvent{ID: store.NewID(daysAgo(3000)), At: daysAgo(3000), Agent: "11", From: "a", To: "b"}); err != nil {
		t.Fatal(err)
	}
	res := purge(t, g.service(nil))
	if res.Deleted() != 0 || !has[store.CDR](t, g.st, id) || !has[store.Recording](t, g.st, id) {
		t.Fatalf("a keep-forever policy deleted something: %+v", res)
	}
	if n, _ := store.List[store.AgentEvent](g.st); len(n) != 1 {
		t.Fatal("agent event deleted")
	}
}

func TestRetention_LegalHoldKeepsCallAndRecording(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 30, 10
	g.policy(p)
	heldCall := g.call(daysAgo(400), 100)
	heldRecOnly := g.call(daysAgo(20), 100)
	if err := store.SetCDRHold(g.st, heldCall, true); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(g.st, heldRecOnly, func(r *store.Recording) error { r.Hold = true; return nil }); err != nil {
		t.Fatal(err)
	}
	rec, _ := store.Get[store.Recording](g.st, heldCall)
	res := purge(t, g.service(nil))
	if !has[store.CDR](t, g.st, heldCall) || !has[store.Recording](t, g.st, heldCall) || !g.exists(rec.Path) {
		t.Error("a call on hold lost its record, recording or file")
	}
	if !has[store.Recording](t, g.st, heldRecOnly) {
		t.Error("a recording on hold was deleted")
	}
	if c := res.Count(store.PurgeCDRs); c.Held != 1 || c.Deleted != 0 {
		t.Errorf("cdrs: %+v", c)
	}
	// The recordings' sweep meets both: the held call's and the held one.
	if c := res.Count(store.PurgeRecordings); c.Held != 2 || c.Deleted != 0 {
		t.Errorf("recordings: %+v", c)
	}
}

func TestRetention_DiskCapDeletesOldestRecordingsFirst(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays, p.RecordingDiskPercent = 3650, 3650, 80
	g.policy(p)
	// 10 recordings of 50 bytes on a 1000-byte disk with 500 bytes of
	// other things: 100 % full; the cap, 80 %, needs 200 bytes.
	g.total, g.other = 1000, 500
	var ids []string
	for i := range 10 {
		ids = append(ids, g.call(daysAgo(20-i), 50))
	}
	if err := store.SetCDRHold(g.st, ids[1], true); err != nil {
		t.Fatal(err)
	}
	r := g.service(nil)
	res := purge(t, r)
	if !res.CapExceeded {
		t.Fatal("cap not reported exceeded")
	}
	for i, id := range ids {
		gone := !has[store.Recording](t, g.st, id)
		want := i == 0 || i == 2 || i == 3 || i == 4 // the oldest four not on hold
		if gone != want {
			t.Errorf("recording %d (%d days old): gone %v, want %v", i, 20-i, gone, want)
		}
		if !has[store.CDR](t, g.st, id) {
			t.Errorf("call %d lost its record", i)
		}
	}
	if c := res.Count(store.PurgeDiskCap); c.Deleted != 4 || c.Bytes != 200 || c.Held != 1 {
		t.Errorf("diskcap: %+v", c)
	}
	if res.Disk.Percent() > 80 || res.Disk.Recordings != 300 {
		t.Errorf("disk after: %+v (%.0f%%)", res.Disk, res.Disk.Percent())
	}
	// Under the cap now: the next run deletes nothing.
	if res := purge(t, r); res.CapExceeded || res.Deleted() != 0 {
		t.Errorf("second run: %+v", res)
	}
	// A GiB cap works on the recordings' own size.
	p.RecordingDiskPercent, p.RecordingDiskGiB = 0, 1
	g.policy(p)
	if res := purge(t, r); res.CapExceeded {
		t.Errorf("300 bytes exceed 1 GiB: %+v", res)
	}
}

func TestRetention_PurgesManyCDRsInBoundedBatches(t *testing.T) {
	// 10,000 records in batches of 500 show the bound; the 100,000-record
	// purge is BenchmarkRetention_Purge100kCDRs (every batch is an fsync,
	// which under -race and a loaded machine took up to 30 s for 100k).
	const n = 10_000
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 365, 90
	g.policy(p)
	g.fillOldCDRsFast(n, daysAgo(500))
	r := g.service(nil)
	r.cfg.BatchSize = 500
	var batches, most int
	r.onBatch = func(changes int) {
		batches++
		most = max(most, changes)
	}
	res := purge(t, r)
	if res.Count(store.PurgeCDRs).Deleted != n {
		t.Fatalf("deleted %d of %d", res.Count(store.PurgeCDRs).Deleted, n)
	}
	if most > r.cfg.BatchSize {
		t.Errorf("a transaction made %d changes, the batch is %d", most, r.cfg.BatchSize)
	}
	if batches < n/r.cfg.BatchSize || res.Batches != batches {
		t.Errorf("%d batches (result says %d) for %d records of batch %d", batches, res.Batches, n, r.cfg.BatchSize)
	}
	if left, _ := store.List[store.CDR](g.st); len(left) != 0 {
		t.Errorf("%d CDRs left", len(left))
	}
}

// fillOldCDRsFast is fillOldCDRs written straight into the closed file in
// one bbolt transaction (no validation, no change log), so the tests of
// the purge do not spend their time filling; the store is reopened.
func (g *retentionRig) fillOldCDRsFast(n int, t0 time.Time) {
	g.t.Helper()
	if err := g.st.Close(); err != nil {
		g.t.Fatal(err)
	}
	db, err := bolt.Open(g.dbPath, 0o600, nil)
	if err != nil {
		g.t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(store.KindCDR))
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Second)
			id := store.NewID(at)
			v := fmt.Sprintf(`{"kind":"cdrs","v":1,"data":{"id":%q,"caller":"+8613800138000","callee":"600","direction":"in",`+
				`"start":%q,"end":%q,"disposition":"noanswer"}}`, id, at.Format(time.RFC3339Nano), at.Add(time.Minute).Format(time.RFC3339Nano))
			if err := b.Put([]byte(id), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		g.t.Fatal(err)
	}
	g.open()
}

// fillOldCDRs stores n call records starting at t0, a second apart.
func fillOldCDRs(t testing.TB, st *store.Store, n int, t0 time.Time) {
	t.Helper()
	const chunk = 5000
	rs := make([]store.Record, 0, chunk)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		rs = append(rs, callRecord(store.NewID(at), at))
		if len(rs) == chunk || i == n-1 {
			if _, err := store.PutAll(st, rs...); err != nil {
				t.Fatal(err)
			}
			rs = rs[:0]
		}
	}
}

func TestRetention_NewCallRecordsWrittenDuringAPurgeAreKept(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 365, 90
	g.policy(p)
	fillOldCDRs(t, g.st, 5000, daysAgo(400))
	r := g.service(nil)
	started := make(chan struct{})
	var once sync.Once
	r.onBatch = func(int) { once.Do(func() { close(started) }) }
	const fresh = 300
	done := make(chan error, 1)
	go func() {
		<-started
		for i := range fresh {
			at := retentionNow.Add(time.Duration(i) * time.Millisecond)
			if _, err := store.Put(g.st, callRecord(store.NewID(at), at)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	res := purge(t, r)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	left, err := store.List[store.CDR](g.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != fresh || res.Count(store.PurgeCDRs).Deleted != 5000 {
		t.Fatalf("%d CDRs left (want the %d new ones), %d deleted", len(left), fresh, res.Count(store.PurgeCDRs).Deleted)
	}
}

func TestRetention_UnreadableRecordIsSkippedAndReported(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 365, 90
	g.policy(p)
	fillOldCDRs(t, g.st, 10, daysAgo(400))
	// A record this firmware cannot read (damage, or a newer shape),
	// among the old ones.
	bad := store.NewID(daysAgo(400).Add(5500 * time.Millisecond))
	if err := g.st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(g.dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(store.KindCDR)).Put([]byte(bad), []byte(`{"kind":"cdrs","v":99,"data":{}}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	g.open()
	res := purge(t, g.service(nil))
	c := res.Count(store.PurgeCDRs)
	if c.Deleted != 10 || c.Skipped != 1 {
		t.Fatalf("cdrs: %+v", c)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], bad) {
		t.Fatalf("problems: %q", res.Problems)
	}
	if _, err := g.st.Export(store.KindCDR, bad); err != nil {
		t.Fatalf("the unreadable record was not kept: %v", err)
	}
}

func TestRetention_OldOrphanFilesGoYoungOnesStay(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays, p.MessageDays = 365, 90, 30
	g.policy(p)
	kept := g.call(daysAgo(10), 10)
	keptRec, _ := store.Get[store.Recording](g.st, kept)
	write := func(rel string, age int) {
		full := filepath.Join(g.dataDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("orphan"), 0o640); err != nil {
			t.Fatal(err)
		}
		at := daysAgo(age)
		if err := os.Chtimes(full, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("rec/2026/01/02/lost.wav", 329)
	write("rec/2026/11/20/recording-now.wav", 7)
	write(fax.InboxDir+"/lost.tif", 40)
	write(fax.InboxDir+"/new.tif", 1)
	res := purge(t, g.service(nil))
	for rel, want := range map[string]bool{"rec/2026/01/02/lost.wav": false, "rec/2026/01": false,
		"rec/2026/11/20/recording-now.wav": true, keptRec.Path: true,
		fax.InboxDir + "/lost.tif": false, fax.InboxDir + "/new.tif": true} {
		if g.exists(rel) != want {
			t.Errorf("%s: present %v, want %v", rel, !want, want)
		}
	}
	if c := res.Count(store.PurgeOrphans); c.Deleted != 2 || c.Bytes != 12 {
		t.Errorf("orphans: %+v", c)
	}
}

// wavOf is a short 8 kHz 16-bit mono WAV file.
func wavOf(samples int) []byte {
	var b bytes.Buffer
	data := samples * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	b.Write(make([]byte, data))
	return b.Bytes()
}

func TestRetention_VoicemailHeardAndUnheardKeepTheirOwnDays(t *testing.T) {
	g := newRetentionRig(t)
	vmDir := filepath.Join(g.dataDir, "voicemail")
	vm, err := voicemail.Open(vmDir, voicemail.Limits{}, voicemail.WithClock(g.clock))
	if err != nil {
		t.Fatal(err)
	}
	leave := func(age int, heard bool) string {
		t.Helper()
		g.mu.Lock()
		g.now = daysAgo(age)
		g.mu.Unlock()
		defer func() { g.mu.Lock(); g.now = retentionNow; g.mu.Unlock() }()
		d, err := vm.Begin("201", "+8613800138000")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.Path(), wavOf(800), 0o640); err != nil {
			t.Fatal(err)
		}
		m, err := d.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if heard {
			if err := vm.Save("201", m.ID); err != nil {
				t.Fatal(err)
			}
		}
		return m.ID
	}
	oldHeard, youngHeard := leave(40, true), leave(20, true)
	oldUnheard := leave(400, false)
	p := forever()
	p.VoicemailDays = 30
	g.policy(p)
	boxes := voicemailBoxes{Store: vm, dir: vmDir}
	res := purge(t, g.service(boxes))
	left := map[string]bool{}
	ms, err := vm.List("201")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		left[m.ID] = true
	}
	if left[oldHeard] || !left[youngHeard] || !left[oldUnheard] {
		t.Fatalf("left %v: old heard %s, young heard %s, unheard %s", left, oldHeard, youngHeard, oldUnheard)
	}
	if c := res.Count(store.PurgeVoicemail); c.Deleted != 1 || c.Bytes != ms[0].Size {
		t.Errorf("voicemail: %+v", c)
	}
	// Unheard messages go after their own limit.
	p.VoicemailUnheardDays = 365
	g.policy(p)
	purge(t, g.service(boxes))
	if ms, _ := vm.List("201"); len(ms) != 1 || ms[0].ID != youngHeard {
		t.Fatalf("after the unheard limit: %+v", ms)
	}
}

func TestRetention_NightlyRunIsAtThePolicyTimeInTheSiteZone(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		now  string
		want string
	}{
		{"2026-11-27T10:00:00+08:00", "2026-11-28T03:30:00+08:00"},
		{"2026-11-27T03:00:00+08:00", "2026-11-27T03:30:00+08:00"},
		{"2026-11-27T03:29:30+08:00", "2026-11-28T03:30:00+08:00"}, // within a minute: tomorrow
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := now.Add(untilPurge(now, sh, 3*60+30)); !got.Equal(want) {
			t.Errorf("from %s: next purge %s, want %s", c.now, got.In(sh), c.want)
		}
	}
}

func TestRetention_RunPurgesSoonAfterStartAndStopsWithItsContext(t *testing.T) {
	g := newRetentionRig(t)
	p := forever()
	p.CDRDays, p.RecordingDays = 365, 90
	g.policy(p)
	fillOldCDRs(t, g.st, 3, daysAgo(400))
	r := NewRetention(RetentionConfig{Store: g.st, DataDir: g.dataDir, Now: g.clock, Disk: g.disk, StartDelay: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	changes := g.st.Subscribe(ctx, g.st.Seq())
	deletes := 0
	for ch := range changes {
		if ch.Kind == store.KindAudit {
			break
		}
		if ch.Op == store.OpDelete {
			deletes++
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last, ok := r.LastPurge()
	if !ok || last.Trigger != "start" || deletes != 3 || last.Deleted() != 3 {
		t.Fatalf("last purge %+v (%v), %d deletes on the feed", last, ok, deletes)
	}
}

func ExampleNewRetention() {
	dir, _ := os.MkdirTemp("", "retention")
	defer os.RemoveAll(dir)
	st, _ := store.Open(filepath.Join(dir, "callbox.db"))
	defer st.Close()
	r := NewRetention(RetentionConfig{Store: st, DataDir: dir})
	res, err := r.PurgeNow(context.Background())
	fmt.Println(res.Trigger, res.Deleted(), err)
	// Output: manual 0 <nil>
}

// BenchmarkRetention_Purge100kCDRs purges 100,000 year-and-a-half-old
// call records in batches of defaultPurgeBatch (the filling is not
// timed).
func BenchmarkRetention_Purge100kCDRs(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		g := newRetentionRig(b)
		p := forever()
		p.CDRDays, p.RecordingDays = 365, 90
		g.policy(p)
		g.fillOldCDRsFast(n, daysAgo(500))
		r := g.service(nil)
		r.cfg.BatchSize = defaultPurgeBatch
		b.StartTimer()
		res := purge(b, r)
		if res.Count(store.PurgeCDRs).Deleted != n {
			b.Fatalf("deleted %d", res.Count(store.PurgeCDRs).Deleted)
		}
		b.ReportMetric(float64(res.Batches), "batches/op")
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// FuzzPeriodEnd reads directory names found on disk: any name gives an
// end or no end, never a panic, and a dated one ends after it starts.
func FuzzPeriodEnd(f *testing.F) {
	for _, s := range []string{"2026", "2026/11", "2026/11/27", "2026/13", "0/0/0", "x", "2026/11/27/extra", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		end, ok := periodEnd(rel)
		if ok && end.Year() < 1 {
			t.Fatalf("%q ends at %v", rel, end)
		}
	})
}

func TestRetention_DatedDirectoriesEndAfterTheirPeriod(t *testing.T) {
	for rel, want := range map[string]string{"2026": "2027-01-01", "2026/12": "2027-01-01", "2026/11/30": "2026-12-01"} {
		end, ok := periodEnd(rel)
		if !ok || end.Format(time.DateOnly) != want {
			t.Errorf("%s: %v %v, want %s", rel, end, ok, want)
		}
	}
	for _, rel := range []string{"2026/13", "2026/1/32", "tmp", "2026/11/27/x"} {
		if _, ok := periodEnd(rel); ok {
			t.Errorf("%s read as a dated directory", rel)
		}
	}
}
