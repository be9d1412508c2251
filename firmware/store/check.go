package store

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"callbox/firmware/i18n"

	bolt "go.etcd.io/bbolt"
)

// Problem is one thing Check found wrong. Kind and Key are empty for
// problems with the file as a whole. Code is a message key in the
// catalogue (firmware/i18n/store.go) and Args fill it; Msg is the English
// text, for logs.
type Problem struct {
	Kind Kind   `json:"kind,omitempty"`
	Key  string `json:"key,omitempty"`
	Code string `json:"code"`
	Args []any  `json:"args,omitempty"`
	Msg  string `json:"msg"`
}

func newProblem(kind Kind, key, code string, args ...any) Problem {
	// Errors become their text, so a Problem marshals to JSON intact.
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = err.Error()
		}
	}
	return Problem{Kind: kind, Key: key, Code: code, Args: args, Msg: i18n.T(i18n.EN, code, args...)}
}

// Message returns the problem in lang, prefixed with its kind and key.
func (p Problem) Message(lang i18n.Lang) string {
	msg := i18n.T(lang, p.Code, p.Args...)
	switch {
	case p.Kind == "":
		return msg
	case p.Key == "":
		return fmt.Sprintf("%s: %s", p.Kind, msg)
	}
	return fmt.Sprintf("%s %q: %s", p.Kind, p.Key, msg)
}

// String is the problem in English.
func (p Problem) String() string { return p.Message(i18n.EN) }

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
		return []Problem{newProblem("", "", "store.problem.file", err)}, nil
	}
	if err := walkFile(lock); err != nil {
		return []Problem{newProblem("", "", "store.problem.file", err)}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		err = mapOpenErr(path, err)
		if errors.Is(err, ErrCorrupt) {
			return []Problem{newProblem("", "", "store.problem.file", err)}, nil
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
		report("", "", "store.problem.records_read")
	}
	return *collected
}

// collector returns a reporter and the list it fills, bounded by
// maxProblems.
func collector() (reporter, *[]Problem) {
	probs := &[]Problem{}
	return func(kind Kind, key string, code string, args ...any) bool {
		if len(*probs) >= maxProblems {
			return false
		}
		*probs = append(*probs, newProblem(kind, key, code, args...))
		return true
	}, probs
}

// checkPages reads every bucket, key and value (a damaged page makes bbolt
// panic or fault, which is caught and reported), then runs bbolt's own
// page check: free list, page references, key order.
func checkPages(tx *bolt.Tx) []Problem {
	report, probs := collector()
	if !walkSafely(func() { touchAll(tx) }) {
		report("", "", "store.problem.pages")
		return *probs
	}
	// bbolt's check runs in a goroutine of its own, where a panic could
	// not be caught; it runs only once touchAll has read every reachable
	// page without fault. The channel is read to its end even past
	// maxProblems, so that the goroutine finishes.
	for err := range tx.Check() {
		report("", "", "store.problem.bbolt", err)
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

// reporter records a problem; false means the report is full.
type reporter func(kind Kind, key string, code string, args ...any) bool

func checkRecords(tx *bolt.Tx, report reporter) {
	l := inspect(tx)
	switch {
	case l.empty:
		report("", "", "store.problem.empty")
		return
	case l.foreign:
		report("", "", "store.problem.foreign")
		return
	case l.version > SchemaVersion:
		report("", "", "store.problem.newer", l.version, SchemaVersion)
		return
	case l.version < SchemaVersion:
		report("", "", "store.problem.older", l.version, SchemaVersion)
		return
	}
	meta := tx.Bucket(bucketMeta)
	seq := readUint(meta, keySeq)
	if v := meta.Get(keySeq); len(v) != 8 {
		report("", "", "store.problem.seq_missing")
	}
	if u := meta.Bucket([]byte("v1-unreadable")); u != nil {
		_ = u.ForEachBucket(func(name []byte) error {
			n := u.Bucket(name).Stats().KeyN
			report(Kind(name), "", "store.problem.v1_unreadable", n)
			return nil
		})
	}
	known := map[string]bool{string(bucketMeta): true, string(bucketChanges): true}
	for _, k := range Kinds() {
		known[string(k)] = true
	}
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			report("", "", "store.problem.bucket_unknown", string(name))
		}
		return nil
	})
	checkLog(tx.Bucket(bucketChanges), seq, report)
	for _, kind := range Kinds() {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			report(kind, "", "store.problem.bucket_missing")
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
				stop = !report(kind, key, "store.problem.nested")
				return nil
			}
			r, err := c.decode(v)
			if err != nil {
				stop = !report(kind, key, "store.problem.unreadable", err)
				return nil
			}
			if r.Key() != key {
				stop = !report(kind, key, "store.problem.key_mismatch", r.Key())
				return nil
			}
			if err := r.Validate(); err != nil {
				stop = !report(kind, key, "store.problem.invalid", err)
			}
			return nil
		})
	}
}

// checkLog checks that the change log is a gap-free run of entries ending
// at the sequence number.
func checkLog(b *bolt.Bucket, seq uint64, report reporter) {
	if b == nil {
		report("", "", "store.problem.log_missing")
		return
	}
	var want, n uint64
	bad := false
	_ = b.ForEach(func(k, v []byte) error {
		if bad {
			return nil
		}
		if len(k) != 8 {
			bad = !report("", "", "store.problem.log_key", fmt.Sprintf("%x", k))
			return nil
		}
		s := decodeSeq(k)
		if n > 0 && s != want {
			report("", "", "store.problem.log_gap", s, want-1)
			bad = true
			return nil
		}
		c, err := DecodeChange(v)
		if err != nil || c.Seq != s {
			report("", "", "store.problem.log_entry", s)
			bad = true
			return nil
		}
		want = s + 1
		n++
		return nil
	})
	if !bad && n > 0 && want-1 != seq {
		report("", "", "store.problem.log_end", want-1, seq)
	}
}
