package store

import (
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestListAndRange_SkipNestedBucketsAndReportACorruptRecordByKey(t *testing.T) {
	s := openTemp(t)
	for _, name := range []string{"alpha", "beta"} {
		if _, err := Put(s, Skill{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(KindSkill))
		if _, err := b.CreateBucket([]byte("b-nested")); err != nil {
			return err
		}
		return b.Put([]byte("zeta"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	keep := func(sk Skill) bool { names = append(names, sk.Name); return true }
	if err := ListFunc(s, "", keep); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"zeta"`) {
		t.Fatalf("ListFunc: %v, want ErrCorrupt naming zeta", err)
	}
	if strings.Join(names, ",") != "alpha,beta" {
		t.Fatalf("ListFunc read %v before the bad record", names)
	}
	names = nil
	if err := RangeFunc(s, "a", "z", false, keep); err != nil || strings.Join(names, ",") != "alpha,beta" {
		t.Fatalf("RangeFunc below the bad record: %v %v", names, err)
	}
	names = nil
	if err := RangeFunc(s, "", "", true, keep); !errors.Is(err, ErrCorrupt) || len(names) != 0 {
		t.Fatalf("RangeFunc from the end: %v %v, want ErrCorrupt first", names, err)
	}
	names = nil
	stop := func(sk Skill) bool { names = append(names, sk.Name); return false }
	if err := ListFunc(s, "", stop); err != nil || len(names) != 1 {
		t.Fatalf("ListFunc stopping at once: %v %v", names, err)
	}
}
