package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/record"
)

// RecordPolicy is which of a queue's calls are recorded.
type RecordPolicy string

// The recording policies.
const (
	// RecordNone: no call is recorded.
	RecordNone RecordPolicy = "none"
	// RecordAll: every answered call is recorded from the answer.
	RecordAll RecordPolicy = "all"
	// RecordOnDemand: a call is recorded from when the agent or a
	// supervisor asks (StartRecording).
	RecordOnDemand RecordPolicy = "ondemand"
)

// ErrRecordingOff: the queue's policy does not allow recording, or no
// recording directory is configured.
var ErrRecordingOff = errors.New("queue: recording not allowed")

// policyFromStore is a store policy as a queue's (store.Queue.Record;
// RecordAll when it says nothing).
func policyFromStore(p store.RecordPolicy) RecordPolicy {
	switch p {
	case store.RecordNone:
		return RecordNone
	case store.RecordOnDemand:
		return RecordOnDemand
	}
	return RecordAll
}

// policy is the recording policy of queue's calls: the function given
// to WithRecording, or with WithConfiguredRecording the queue's own
// (Config.Record as the dispatcher holds it). A queue the dispatcher
// does not know gets the product's default, RecordAll: a recording too
// many is better than a missing one that was required.
func (l *Live) policy(queue string) RecordPolicy {
	switch {
	case l.recDir == "":
		return RecordNone
	case l.recPol != nil:
		return l.recPol(queue)
	case !l.recConf:
		return RecordNone
	}
	c, err := l.d.Queue(queue)
	if err != nil || c.Record == "" {
		return RecordAll
	}
	return c.Record
}

// recording is a talk's recorder and where its index goes.
type recording struct {
	r   *record.Recorder
	id  string
	rel string // path relative to the data directory
}

func (r *recording) caller(f *media.Frame) { _ = r.r.WriteCaller(f) }
func (r *recording) other(f *media.Frame)  { _ = r.r.WriteOther(f) }

// startRecording opens the talk's file: <data>/rec/<yyyy>/<mm>/<dd>/<id>.wav.
func (t *talk) startRecording() error {
	l := t.l
	day := l.now().UTC().Format("2006/01/02")
	rel := path.Join("rec", day)
	if err := os.MkdirAll(filepath.Join(l.recDir, filepath.FromSlash(rel)), 0o750); err != nil {
		return fmt.Errorf("queue: recording directory: %w", err)
	}
	id := t.callID
	for n := 2; ; n++ {
		file := path.Join(rel, id+".wav")
		r, err := record.Create(filepath.Join(l.recDir, filepath.FromSlash(file)), record.Stereo, record.ULaw)
		if errors.Is(err, fs.ErrExist) && n < 100 {
			id = t.callID + "-" + strconv.Itoa(n)
			continue
		}
		if err != nil {
			return err
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.ended || t.rec != nil {
			_, _ = r.Close()
			_ = os.Remove(r.Path())
			return nil
		}
		t.rec = &recording{r: r, id: id, rel: file}
		t.tap()
		return nil
	}
}

// finish closes the file and indexes it in the store and on the call.
func (r *recording) finish(l *Live, t *talk) {
	res, err := r.r.Close()
	if err != nil {
		l.log.Error("queue: recording", "call", t.callID, "path", r.rel, "err", err)
		return
	}
	if t.c != nil {
		t.c.SetRecording(r.id)
	}
	if l.st == nil {
		return
	}
	rec := store.Recording{ID: r.id, Path: r.rel, SHA256: res.SHA256, Duration: res.Duration, Size: res.Size,
		CallID: t.callID, CreatedAt: l.now()}
	if _, err := store.Put(l.st, rec); err != nil {
		l.log.Error("queue: recording not indexed", "call", t.callID, "path", r.rel, "err", err)
	}
}

// StartRecording starts recording the call agentID is on, from now, in a
// queue whose policy is on demand (or all, where it is already running).
func (l *Live) StartRecording(agentID string) error {
	t, err := l.talkOf(agentID)
	if err != nil {
		return err
	}
	switch l.policy(t.queue) {
	case RecordAll:
		if t.recorded() {
			return nil
		}
	case RecordOnDemand:
	default:
		return wrapf(ErrRecordingOff, "queue: %s", t.queue)
	}
	return t.startRecording()
}
