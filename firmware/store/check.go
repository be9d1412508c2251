package store

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Problem is one thing Check found wrong. Kind and Key are empty for
// problems with the file as a whole. Msg is English, for technicians.
type Problem struct {
	Kind Kind   `json:"kind,omitempty"`
	Key  string `json:"key,omitempty"`
	Msg  string `json:"msg"`
}

func (p Problem) String() string {
	switch {
	case p.Kind == "":
		return p.Msg
	case p.Key == "":
		return fmt.Sprintf("%s: %s", p.Kind, p.Msg)
	}
	return fmt.Sprintf("%s %q: %s", p.Kind, p.Key, p.Msg)
}

// maxProblems bounds a report: a badly damaged file would list every record.
const maxProblems = 1000

// Check examines the store file at path without modifying it: the bbolt
// header and page structure, the schema, the change log, and that every
// record decodes and validates. It returns the problems found (none for a
// healthy file). The error is for a file that cannot be examined at all
// (missing, unreadable, ErrLocked by a running appliance).
func Check(path string) ([]Problem, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("store: check %s: is a directory", path)
	}
	// The header check and page walk use plain reads under a shared lock
	// held until the end; only a file that passes them is handed to
	// bbolt, which follows page references without checking.
	lock, err := lockShared(path, time.Second)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	defer lock.Close()
	if err := verifyFile(lock); err != nil {
		return []Problem{{Msg: err.Error()}}, nil
	}
	if err := walkFile(lock); err != nil {
		return []Problem{{Msg: err.Error()}}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		err = mapOpenErr(path, err)
		if errors.Is(err, ErrCorrupt) {
			return []Problem{{Msg: err.Error()}}, nil
		}
		return nil, err
	}
	defer db.Close()
	var probs []Problem
	err = db.View(func(tx *bolt.Tx) error {
		probs = checkTx(tx)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: check %s: %w", path, err)
	}
	return probs, nil
}

// Check examines the open store like the package-level Check. It holds the
// write lock while it runs (bbolt's page check needs a stable free list),
// so writes wait for it.
func (s *Store) Check() ([]Problem, error) {
	tx, err := s.db.Begin(!s.opts.readOnly)
	if err != nil {
		return nil, s.mapErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	return checkTx(tx), nil
}

// checkTx runs every check within tx: pages first, records only when the
// pages are sound.
func checkTx(tx *bolt.Tx) []Problem {
	probs := checkPages(tx)
	if len(probs) > 0 {
		return probs
	}
	report, collected := collector()
	if !walkSafely(func() { checkRecords(tx, report) }) {
		report("", "", "file structure is damaged: reading its records failed")
	}
	return *collected
}

// collector returns a reporter and the list it fills, bounded by
// maxProblems.
func collector() (reporter, *[]Problem) {
	probs := &[]Problem{}
	return func(kind Kind, key string, format string, args ...any) bool {
		if len(*probs) >= maxProblems {
			return false
		}
		*probs = append(*probs, Problem{Kind: kind, Key: key, Msg: fmt.Sprintf(format, args...)})
		return true
	}, probs
}

// checkPages reads every bucket, key and value (a damaged page makes bbolt
// panic or fault, which is caught and reported), then runs bbolt's own
// page check: free list, page references, key order.
func checkPages(tx *bolt.Tx) []Problem {
	report, probs := collector()
	if !walkSafely(func() { touchAll(tx) }) {
		report("", "", "file structure is damaged: reading its pages failed")
		return *probs
	}
	// bbolt's check runs in a goroutine of its own, where a panic could
	// not be caught; it runs only once touchAll has read every reachable
	// page without fault. The channel is read to its end even past
	// maxProblems, so that the goroutine finishes.
	for err := range tx.Check() {
		report("", "", "bbolt: %v", err)
	}
	return *probs
}

// touchAll visits every bucket, key and value.
func touchAll(tx *bolt.Tx) {
	var visit func(b *bolt.Bucket, depth int)
	visit = func(b *bolt.Bucket, depth int) {
		_ = b.ForEach(func(k, v []byte) error {
			if v == nil && depth < maxTreeDepth {
				if child := b.Bucket(k); child != nil {
					visit(child, depth+1)
				}
			}
			return nil
		})
	}
	_ = tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
		visit(b, 1)
		return nil
	})
}

// walkSafely runs fn, turning a panic or memory fault into false.
func walkSafely(fn func()) (ok bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	fn()
	return true
}

type reporter func(kind Kind, key string, format string, args ...any) bool

func checkRecords(tx *bolt.Tx, report reporter) {
	l := inspect(tx)
	switch {
	case l.empty:
		report("", "", "file holds no callbox data")
		return
	case l.foreign:
		report("", "", "not a callbox store (no schema version)")
		return
	case l.version > SchemaVersion:
		report("", "", "schema %d is newer than this firmware's %d", l.version, SchemaVersion)
		return
	case l.version < SchemaVersion:
		report("", "", "schema %d needs a migration to %d (runs at the next start)", l.version, SchemaVersion)
		return
	}
	meta := tx.Bucket(bucketMeta)
	seq := readUint(meta, keySeq)
	if v := meta.Get(keySeq); len(v) != 8 {
		report("", "", "meta: sequence number missing")
	}
	if u := meta.Bucket([]byte("v1-unreadable")); u != nil {
		_ = u.ForEachBucket(func(name []byte) error {
			n := u.Bucket(name).Stats().KeyN
			report(Kind(name), "", "%d schema 1 records could not be migrated (kept in meta/v1-unreadable)", n)
			return nil
		})
	}
	known := map[string]bool{string(bucketMeta): true, string(bucketChanges): true}
	for _, k := range Kinds() {
		known[string(k)] = true
	}
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			report("", "", "unknown bucket %q", name)
		}
		return nil
	})
	checkLog(tx.Bucket(bucketChanges), seq, report)
	for _, kind := range Kinds() {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			report(kind, "", "bucket missing")
			continue
		}
		c := codecs[kind]
		stop := false
		_ = b.ForEach(func(k, v []byte) error {
			if stop {
				return nil
			}
			key := string(k)
			if v == nil {
				stop = !report(kind, key, "unexpected nested bucket")
				return nil
			}
			r, err := c.decode(v)
			if err != nil {
				stop = !report(kind, key, "%v", err)
				return nil
			}
			if r.Key() != key {
				stop = !report(kind, key, "record says its key is %q", r.Key())
				return nil
			}
			if err := r.Validate(); err != nil {
				stop = !report(kind, key, "%v", err)
			}
			return nil
		})
	}
}

// checkLog checks that the change log is a gap-free run of entries ending
// at the sequence number.
func checkLog(b *bolt.Bucket, seq uint64, report reporter) {
	if b == nil {
		report("", "", "change log missing")
		return
	}
	var want, n uint64
	bad := false
	_ = b.ForEach(func(k, v []byte) error {
		if bad {
			return nil
		}
		if len(k) != 8 {
			bad = !report("", "", "change log: bad key %x", k)
			return nil
		}
		s := decodeSeq(k)
		if n > 0 && s != want {
			report("", "", "change log: entry %d follows %d", s, want-1)
			bad = true
			return nil
		}
		c, err := DecodeChange(v)
		if err != nil || c.Seq != s {
			report("", "", "change log: entry %d unreadable", s)
			bad = true
			return nil
		}
		want = s + 1
		n++
		return nil
	})
	if !bad && n > 0 && want-1 != seq {
		report("", "", "change log ends at %d but the sequence number is %d", want-1, seq)
	}
}
