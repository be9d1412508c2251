package store

import (
	"errors"
	"fmt"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// MaxKeyLen bounds a record key (bytes).
const MaxKeyLen = 512

func checkKey(kind Kind, key string) error {
	if key == "" || len(key) > MaxKeyLen || !utf8.ValidString(key) {
		return &ValidationError{Kind: kind, Key: key, Fields: []FieldError{{Field: "key", Code: codeKey, Args: []any{MaxKeyLen}}}}
	}
	return nil
}

// Put validates r and stores it, replacing any record with its key. The
// returned Change carries the write's sequence number; it is on disk when
// Put returns.
func Put[T Record](s *Store, r T) (Change, error) {
	return s.write(r, false)
}

// Create is Put for a key that must not exist yet (ErrExists otherwise).
func Create[T Record](s *Store, r T) (Change, error) {
	return s.write(r, true)
}

// Get returns the record of T's kind with key, or ErrNotFound.
func Get[T Record](s *Store, key string) (T, error) {
	var r T
	kind := r.Kind()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			return fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
		}
		var err error
		r, err = decode[T](v)
		if err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, key, err)
		}
		return nil
	})
	if err != nil {
		var zero T
		return zero, s.mapErr(err)
	}
	return r, nil
}

// List returns every record of T's kind in key order (byte order of keys).
func List[T Record](s *Store) ([]T, error) {
	var out []T
	err := scan[T](s, nil, func(r T) bool { out = append(out, r); return true })
	return out, err
}

// ListFunc calls fn for each record of T's kind whose key starts with
// prefix, in key order, until fn returns false. Records are decoded one at
// a time, so it suits large kinds (CDRs, contacts).
func ListFunc[T Record](s *Store, prefix string, fn func(T) bool) error {
	return scan(s, []byte(prefix), fn)
}

func scan[T Record](s *Store, prefix []byte, fn func(T) bool) error {
	var zero T
	kind := zero.Kind()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			if more, err := visit(kind, k, v, fn); !more {
				return err
			}
		}
		return nil
	})
	return s.mapErr(err)
}

// visit hands the record at one cursor position (key k, value v) to fn,
// for the walks over a kind (scan, RangeFunc). more is false when fn asks
// to stop or the record does not decode (err is then ErrCorrupt).
func visit[T Record](kind Kind, k, v []byte, fn func(T) bool) (more bool, err error) {
	if v == nil {
		return true, nil // a nested bucket, not a record
	}
	r, err := decode[T](v)
	if err != nil {
		return false, fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, k, err)
	}
	return fn(r), nil
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

// Delete removes the record of T's kind with key (ErrNotFound if absent).
func Delete[T Record](s *Store, key string) (Change, error) {
	var zero T
	return s.commit(zero.Kind(), key, OpDelete, nil, modeMustExist)
}

// Update reads the record with key, lets fn change it, validates and
// stores it, all in one transaction: no other write can slip in between
// (read-modify-write of message attempts, user flags). fn must not change
// the key. ErrNotFound if absent; an error from fn is returned as is.
func Update[T Record](s *Store, key string, fn func(*T) error) (Change, error) {
	var zero T
	kind := zero.Kind()
	if s.opts.readOnly {
		return Change{}, fmt.Errorf("%w: update %s %q", ErrReadOnly, kind, key)
	}
	var ch Change
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			return fmt.Errorf("%w: bucket missing for %s", ErrCorrupt, kind)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
		}
		r, err := decode[T](v)
		if err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, key, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
		if r.Key() != key {
			return &ValidationError{Kind: kind, Key: key, Fields: []FieldError{{Field: "key", Code: codeKey, Args: []any{MaxKeyLen}}}}
		}
		if err := r.Validate(); err != nil {
			return err
		}
		enc, err := encode(r)
		if err != nil {
			return err
		}
		ch, err = s.apply(tx, kind, key, OpPut, enc, modeAny)
		return err
	})
	if err != nil {
		return Change{}, s.mapErr(err)
	}
	s.committed(ch)
	return ch, nil
}

type writeMode int

const (
	modeAny writeMode = iota
	modeMustNotExist
	modeMustExist
)

func (s *Store) write(r Record, create bool) (Change, error) {
	kind, key := r.Kind(), r.Key()
	if err := checkKey(kind, key); err != nil {
		// Let Validate name the field behind the key when it can.
		if verr := r.Validate(); verr != nil {
			return Change{}, verr
		}
		return Change{}, err
	}
	if err := r.Validate(); err != nil {
		return Change{}, err
	}
	enc, err := encode(r)
	if err != nil {
		return Change{}, err
	}
	mode := modeAny
	if create {
		mode = modeMustNotExist
	}
	return s.commit(kind, key, OpPut, enc, mode)
}

// commit runs one write and its change-log entry in one transaction.
func (s *Store) commit(kind Kind, key string, op Op, val []byte, mode writeMode) (Change, error) {
	if s.opts.readOnly {
		return Change{}, fmt.Errorf("%w: %s %s %q", ErrReadOnly, op, kind, key)
	}
	if !kind.Valid() {
		return Change{}, fmt.Errorf("store: unknown kind %q", kind)
	}
	var ch Change
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		ch, err = s.apply(tx, kind, key, op, val, mode)
		return err
	})
	if err != nil {
		return Change{}, s.mapErr(err)
	}
	s.committed(ch)
	return ch, nil
}

// apply writes val (or deletes) and appends the change to the log. The
// sequence number is taken inside the transaction, so numbers are gap-free
// and in commit order.
func (s *Store) apply(tx *bolt.Tx, kind Kind, key string, op Op, val []byte, mode writeMode) (Change, error) {
	b := tx.Bucket([]byte(kind))
	meta := tx.Bucket(bucketMeta)
	log := tx.Bucket(bucketChanges)
	if b == nil || meta == nil || log == nil {
		return Change{}, fmt.Errorf("%w: bucket missing for %s", ErrCorrupt, kind)
	}
	k := []byte(key)
	old := b.Get(k)
	switch {
	case mode == modeMustNotExist && old != nil:
		return Change{}, fmt.Errorf("%w: %s %q", ErrExists, kind, key)
	case mode == modeMustExist && old == nil:
		return Change{}, fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
	}
	var err error
	if op == OpDelete {
		err = b.Delete(k)
	} else {
		err = b.Put(k, val)
	}
	if err != nil {
		return Change{}, err
	}
	seq := readUint(meta, keySeq) + 1
	ch := Change{Seq: seq, Kind: kind, Key: key, Op: op, At: s.opts.now().UTC()}
	if err := putUint(meta, keySeq, seq); err != nil {
		return Change{}, err
	}
	enc, err := encodeChange(ch)
	if err != nil {
		return Change{}, err
	}
	if err := log.Put(seqKey(seq), enc); err != nil {
		return Change{}, err
	}
	return ch, trimLog(log, seq, s.opts.feedLimit)
}

// trimLog drops entries older than the last limit. Normally one entry goes
// per write; after the limit shrank, at most maxTrim go per write so that
// no single write becomes slow.
func trimLog(log *bolt.Bucket, seq, limit uint64) error {
	if seq <= limit {
		return nil
	}
	cutoff := seq - limit // keep seq > cutoff
	const maxTrim = 256
	c := log.Cursor()
	for i := 0; i < maxTrim; i++ {
		k, _ := c.First()
		if k == nil || len(k) != 8 || decodeSeq(k) > cutoff {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// PutAll validates and stores records of any kinds in one transaction:
// all of them or, on the first invalid one, none (demo seeding, imports).
// Each gets its own change with consecutive sequence numbers.
func PutAll(s *Store, rs ...Record) ([]Change, error) {
	if s.opts.readOnly {
		return nil, fmt.Errorf("%w: put %d records", ErrReadOnly, len(rs))
	}
	var changes []Change
	err := s.db.Update(func(tx *bolt.Tx) error {
		changes = changes[:0]
		for _, r := range rs {
			c, err := s.putTx(tx, r)
			if err != nil {
				return err
			}
			changes = append(changes, c)
		}
		return nil
	})
	if err != nil {
		return nil, s.mapErr(err)
	}
	for _, c := range changes {
		s.committed(c)
	}
	return changes, nil
}

// putTx checks, validates and encodes r and stores it in tx (PutAll and
// Batcher.Put).
func (s *Store) putTx(tx *bolt.Tx, r Record) (Change, error) {
	if err := checkKey(r.Kind(), r.Key()); err != nil {
		return Change{}, err
	}
	if err := r.Validate(); err != nil {
		return Change{}, err
	}
	enc, err := encode(r)
	if err != nil {
		return Change{}, err
	}
	return s.apply(tx, r.Kind(), r.Key(), OpPut, enc, modeAny)
}
