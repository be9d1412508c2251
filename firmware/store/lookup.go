package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Lookup returns the record of kind with key when the kind is known only at
// run time (a change from the feed, a generic admin page). ErrNotFound if
// absent.
func (s *Store) Lookup(kind Kind, key string) (Record, error) {
	raw, err := s.Export(kind, key)
	if err != nil {
		return nil, err
	}
	r, err := codecs[kind].decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %v", ErrCorrupt, kind, key, err)
	}
	return r, nil
}

// Export returns the stored envelope of one record, as DecodeRecord reads
// it: what a replica copies after a change from the feed.
func (s *Store) Export(kind Kind, key string) ([]byte, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("store: unknown kind %q", kind)
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			return fmt.Errorf("%w: bucket missing for %s", ErrCorrupt, kind)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: %s %q", ErrNotFound, kind, key)
		}
		// bbolt's slices live only as long as the transaction.
		out = append([]byte(nil), v...)
		return nil
	})
	return out, s.mapErr(err)
}

// Apply writes one change copied from another store (the active box of an
// HA pair follows its feed with Export; the standby applies here). Export
// returns the latest value, so a put whose record has since been deleted
// finds ErrNotFound and is skipped: its delete follows in the feed. For
// OpPut, data is the record's envelope as Export returned it; it is
// decoded and validated like any write, and its key must be key. For
// OpDelete, data is ignored and a missing key is not an error (the
// replica may never have had it). The change gets this store's own next
// sequence number and reaches its subscribers.
func (s *Store) Apply(kind Kind, key string, op Op, data []byte) (Change, error) {
	switch op {
	case OpDelete:
		if err := checkKey(kind, key); err != nil {
			return Change{}, err
		}
		ch, err := s.commit(kind, key, OpDelete, nil, modeMustExist)
		if errors.Is(err, ErrNotFound) {
			return Change{Seq: s.Seq(), Kind: kind, Key: key, Op: OpDelete}, nil
		}
		return ch, err
	case OpPut:
		r, err := DecodeRecord(kind, data)
		if err != nil {
			return Change{}, err
		}
		if r.Key() != key {
			return Change{}, fmt.Errorf("store: apply %s %q: the record's key is %q", kind, key, r.Key())
		}
		// Re-encode rather than store data as is, so the replica holds
		// exactly what this firmware writes.
		enc, err := encode(r)
		if err != nil {
			return Change{}, err
		}
		return s.commit(kind, key, OpPut, enc, modeAny)
	}
	return Change{}, fmt.Errorf("store: apply: unknown op %q", op)
}

// NewID returns a fresh record key that sorts by time: for CDRs,
// contacts, messages and recordings, whose List then comes in time order.
// Form: "20261127T050102.123456Z-" followed by 8 random hex digits.
func NewID(t time.Time) string {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		// crypto/rand does not fail on Linux; the time alone still sorts.
		return t.UTC().Format(idLayout)
	}
	return t.UTC().Format(idLayout) + "-" + hex.EncodeToString(r[:])
}

// idLayout is the time part of NewID: fixed width, so keys sort by time.
const idLayout = "20060102T150405.000000Z"
