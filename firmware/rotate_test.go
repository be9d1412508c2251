package firmware

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestRotatingFile_KeepsSizeCapAndOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log", "callbox.log")
	r, err := OpenRotating(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		line := fmt.Sprintf("line %02d %s\n", i, bytes.Repeat([]byte("x"), 20))
		if _, err := r.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(path + "*")
	if len(names) != 3 {
		t.Fatalf("want the file and 2 old ones, got %v", names)
	}
	var all []byte
	for _, n := range []string{path + ".2", path + ".1", path} {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 100 {
			t.Errorf("%s has %d bytes, cap is 100", n, len(b))
		}
		all = append(all, b...)
	}
	// The newest lines survive, in order, each whole.
	if !bytes.HasSuffix(all, []byte(fmt.Sprintf("line 19 %s\n", bytes.Repeat([]byte("x"), 20)))) {
		t.Fatalf("newest line missing:\n%s", all)
	}
	if !bytes.Contains(all, []byte("line 12 ")) || bytes.Contains(all, []byte("line 10 ")) {
		t.Fatalf("expected exactly the last 9 lines:\n%s", all)
	}
	if _, err := r.Write([]byte("late")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestRotatingFile_AppendsAcrossReopenAndTakesOversizeRecordWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	r, _ := OpenRotating(path, 50, 1)
	r.Write([]byte("first\n"))
	r.Close()
	r, err := OpenRotating(path, 50, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	big := bytes.Repeat([]byte("b"), 80)
	if n, err := r.Write(big); err != nil || n != 80 {
		t.Fatalf("big write: %d %v", n, err)
	}
	got, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if !bytes.Equal(got, big) || string(old) != "first\n" {
		t.Fatalf("current %q old %q", got, old)
	}
}

func TestRotatingFile_KeepZeroTruncatesAndConcurrentWritesAreWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	r, err := OpenRotating(path, 64, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 50 {
				r.Write([]byte(fmt.Sprintf("g%d-0123456789\n", g)))
			}
		})
	}
	wg.Wait()
	b, _ := os.ReadFile(path)
	if len(b) > 64 || len(b)%14 != 0 {
		t.Fatalf("file has %d bytes: %q", len(b), b)
	}
	if _, err := OpenRotating(path, 0, 1); err == nil {
		t.Fatal("max 0 accepted")
	}
	if _, err := OpenRotating(filepath.Join(path, "under-a-file", "x.log"), 10, 1); err == nil {
		t.Fatal("a directory under a file accepted")
	}
}
