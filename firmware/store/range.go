package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RangeFunc calls fn for each record of T's kind whose key k satisfies
// from <= k < to, in key order, until fn returns false; "" for to means no
// upper bound. With reverse set it walks from the last key below to down
// to from, so "the newest N" of a time-keyed kind reads only N records.
// Only the keys in range are visited: a report over one day of a year of
// call records reads that day.
func RangeFunc[T Record](s *Store, from, to string, reverse bool, fn func(T) bool) error {
	var zero T
	kind := zero.Kind()
	lo, hi := []byte(from), []byte(to)
	inRange := func(k []byte) bool {
		return k != nil && bytes.Compare(k, lo) >= 0 && (len(hi) == 0 || bytes.Compare(k, hi) < 0)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		step := c.Next
		if reverse {
			step = c.Prev
			if len(hi) == 0 {
				k, v = c.Last()
			} else if k, _ = c.Seek(hi); k == nil {
				k, v = c.Last()
			} else {
				// Seek lands on the first key >= to, which is out of range.
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for ; inRange(k); k, v = step() {
			if more, err := visit(kind, k, v, fn); !more {
				return err
			}
		}
		return nil
	})
	return s.mapErr(err)
}

// TimeKey is the smallest NewID of instant t: RangeFunc(s, TimeKey(a),
// TimeKey(b), ...) visits the time-keyed records made in [a, b).
func TimeKey(t time.Time) string { return t.UTC().Format(idLayout) }
