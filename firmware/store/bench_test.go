package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkPut measures one acknowledged (fsynced) write with its change-log
// entry: the bound on configuration and CDR writes per second.
func BenchmarkPut(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		c := CDR{ID: NewID(t0.Add(time.Duration(i))), Caller: "+8613800138000", Callee: "600", Direction: DirectionIn, Start: t0, End: t0.Add(time.Minute), Disposition: DispositionNoAnswer}
		if _, err := Put(s, c); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func seededCustomers(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	// One transaction per 500 records keeps the setup short.
	for start := 0; start < n; start += 500 {
		batch := []Record{}
		for i := start; i < start+500 && i < n; i++ {
			batch = append(batch, Customer{ID: fmt.Sprintf("c%07d", i), Name: "Customer", Numbers: []string{fmt.Sprintf("+86138%08d", i)}})
		}
		if _, err := PutAll(s, batch...); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	s := seededCustomers(b, 10000)
	i := 0
	for b.Loop() {
		if _, err := Get[Customer](s, fmt.Sprintf("c%07d", i%10000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkList_10000Customers(b *testing.B) {
	s := seededCustomers(b, 10000)
	for b.Loop() {
		all, err := List[Customer](s)
		if err != nil || len(all) != 10000 {
			b.Fatal(len(all), err)
		}
	}
}

// BenchmarkCheck_10000Customers measures the full check of a file:
// page walk, bbolt's check, decoding and validating every record.
func BenchmarkCheck_10000Customers(b *testing.B) {
	s := seededCustomers(b, 10000)
	path := s.Path()
	s.Close()
	for b.Loop() {
		probs, err := Check(path)
		if err != nil || len(probs) != 0 {
			b.Fatal(probs, err)
		}
	}
}

// BenchmarkSubscribe_Delivery measures a change from commit to a
// subscriber's channel (commit included).
func BenchmarkSubscribe_Delivery(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Subscribe(ctx, 0)
	i := 0
	for b.Loop() {
		if _, err := Put(s, Skill{Name: fmt.Sprintf("s%d", i)}); err != nil {
			b.Fatal(err)
		}
		<-ch
		i++
	}
}

// BenchmarkWalkFile_10000Customers measures the page walk Open runs on an
// existing file (reads every page once).
func BenchmarkWalkFile_10000Customers(b *testing.B) {
	s := seededCustomers(b, 10000)
	path := s.Path()
	b.Logf("file %d bytes", s.Size())
	s.Close()
	for b.Loop() {
		if problem, err := verifyPath(path, time.Second, true); problem != nil || err != nil {
			b.Fatal(problem, err)
		}
	}
}

// BenchmarkCounts_10000Customers measures Counts, which the status page
// calls (bbolt walks each bucket's pages; records are not decoded).
func BenchmarkCounts_10000Customers(b *testing.B) {
	s := seededCustomers(b, 10000)
	for b.Loop() {
		if c, err := s.Counts(); err != nil || c[KindCustomer] != 10000 {
			b.Fatal(c, err)
		}
	}
}
