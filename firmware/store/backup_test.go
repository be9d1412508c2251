package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callbox/firmware/i18n"

	bolt "go.etcd.io/bbolt"
)

// seeded returns a closed store file with a few records of several kinds.
func seeded(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"201", "202", "203"} {
		if _, err := Put(s, goodExtension(n)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		c := Customer{ID: "c" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Name: "Customer", Numbers: []string{"+8613800000000"}, Notes: strings.Repeat("n", 500)}
		if _, err := Put(s, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func backupOf(t *testing.T, path string) []byte {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Backup: %d %v", n, err)
	}
	return buf.Bytes()
}

func TestRestore_ReplacesStoreWithBackup(t *testing.T) {
	img := backupOf(t, seeded(t))
	target := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Put(s, goodExtension("999")); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if err := Restore(target, bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	s, err = Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Get[Extension](s, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatal("record from before the restore survived")
	}
	counts, _ := s.Counts()
	if counts[KindExtension] != 3 || counts[KindCustomer] != 50 || s.Seq() != 53 {
		t.Fatalf("restored counts %v seq %d", counts, s.Seq())
	}
	left, _ := filepath.Glob(target + ".restore-*")
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestRestore_RefusesBadImagesAndLeavesStoreUntouched(t *testing.T) {
	good := backupOf(t, seeded(t))
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	writeForeign(t, foreign)
	foreignImg, _ := os.ReadFile(foreign)
	newer := seeded(t)
	setSchema(t, newer, SchemaVersion+1)
	newerImg, _ := os.ReadFile(newer)
	random := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	// A record that decodes but fails validation, written behind the
	// store's back.
	invalid := seeded(t)
	corruptRecord(t, invalid, KindExtension, "201", `{"kind":"extensions","v":1,"data":{"number":"201","secret":"1"}}`)
	invalidImg, _ := os.ReadFile(invalid)

	cases := []struct {
		name string
		img  []byte
		also error
	}{
		{"empty", nil, nil},
		{"truncated to half", good[:len(good)/2], nil},
		{"truncated to one page", good[:4096], nil},
		{"truncated by one byte", good[:len(good)-1], nil},
		{"random bytes", random, nil},
		{"text", []byte("this is not a backup\n"), nil},
		{"foreign bbolt file", foreignImg, nil},
		{"newer schema", newerImg, ErrNewerSchema},
		{"invalid record", invalidImg, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := seeded(t)
			before := fileHash(t, target)
			err := Restore(target, bytes.NewReader(tc.img))
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("want ErrBadBackup, got %v", err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Fatalf("want %v too, got %v", tc.also, err)
			}
			if fileHash(t, target) != before {
				t.Fatal("current store modified")
			}
			left, _ := filepath.Glob(target + ".restore-*")
			if len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

func TestRestore_MigratesSchema1Image(t *testing.T) {
	img, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	target := seeded(t)
	if err := Restore(target, bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(target, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := Get[User](s, "admin"); err != nil || u.Role != RoleAdmin {
		t.Fatalf("admin: %+v %v", u, err)
	}
}

func TestRestore_RefusesWhileStoreIsOpen(t *testing.T) {
	img := backupOf(t, seeded(t))
	target := seeded(t)
	s, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := Restore(target, bytes.NewReader(img)); !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
}

func corruptRecord(t *testing.T, path string, kind Kind, key, raw string) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(kind)).Put([]byte(key), []byte(raw)) }); err != nil {
		t.Fatal(err)
	}
}

func TestCheck_HealthyStoreHasNoProblems(t *testing.T) {
	path := seeded(t)
	before := fileHash(t, path)
	probs, err := Check(path)
	if err != nil || len(probs) != 0 {
		t.Fatalf("Check = %v, %v", probs, err)
	}
	if fileHash(t, path) != before {
		t.Fatal("Check modified the file")
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if probs, err := s.Check(); err != nil || len(probs) != 0 {
		t.Fatalf("Store.Check = %v, %v", probs, err)
	}
}

func TestCheck_ReportsBadRecordsWithoutModifyingTheFile(t *testing.T) {
	path := seeded(t)
	corruptRecord(t, path, KindExtension, "201", `{"kind":"extensions","v":1,"data":{"number":"201","secret":"1"}}`)
	corruptRecord(t, path, KindExtension, "202", `{"kind":"users","v":1,"data":{}}`)
	corruptRecord(t, path, KindExtension, "203", `{"kind":"extensions","v":9,"data":{}}`)
	corruptRecord(t, path, KindExtension, "204", `garbage`)
	before := fileHash(t, path)
	probs, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range probs {
		keys[p.Key] = true
		if !i18n.Has(p.Code) || strings.Contains(p.Message(i18n.ZH), "%!") || p.Msg == "" || !strings.HasSuffix(p.String(), p.Msg) {
			t.Errorf("problem %+v lacks a catalogue message", p)
		}
	}
	for _, k := range []string{"201", "202", "203", "204"} {
		if !keys[k] {
			t.Errorf("no problem reported for %s: %v", k, probs)
		}
	}
	if fileHash(t, path) != before {
		t.Fatal("Check modified the file")
	}
}

func TestCheck_ReportsDamagedPagesWithoutModifyingTheFile(t *testing.T) {
	path := seeded(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite data pages (not the two meta pages) with noise.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 2 * 4096; i < len(data); i++ {
		if rng.IntN(8) == 0 {
			data[i] = byte(rng.Uint32())
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)
	probs, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) == 0 {
		t.Fatal("damaged file reported healthy")
	}
	if fileHash(t, path) != before {
		t.Fatal("Check modified the file")
	}
}

func TestOpen_RefusesCorruptFilesWithoutModifyingThem(t *testing.T) {
	good, err := os.ReadFile(seeded(t))
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 32<<10)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	damaged := bytes.Clone(good)
	for i := 2 * 4096; i < len(damaged); i += 97 {
		damaged[i] ^= 0x5a
	}
	for name, data := range map[string][]byte{
		"damaged pages": damaged,
		"truncated":     good[:len(good)/2],
		"random":        random,
		"text":          []byte("hello"),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "callbox.db")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := fileHash(t, path)
			if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v", err)
			}
			probs, err := Check(path)
			if err != nil || len(probs) == 0 {
				t.Fatalf("Check = %v, %v", probs, err)
			}
			if fileHash(t, path) != before {
				t.Fatal("file modified")
			}
		})
	}
}

func TestOpen_SecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path, WithLockTimeout(50e6)); !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
	if _, err := Check(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("Check: want ErrLocked, got %v", err)
	}
}

func TestOpen_ReadOnlyRefusesWrites(t *testing.T) {
	path := seeded(t)
	s, err := Open(path, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Put(s, goodExtension("299")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Put: %v", err)
	}
	if _, err := Delete[Extension](s, "201"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Get[Extension](s, "201"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), WithReadOnly()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open of a missing file: %v", err)
	}
}

// TestRestore_RefusesRandomlyDamagedImagesWithoutCrashing flips random
// bytes anywhere in a good image, meta pages included: every image is
// either refused with ErrBadBackup, leaving the store as it was, or
// accepted and then checks clean. Damage must never crash the process.
func TestRestore_RefusesRandomlyDamagedImagesWithoutCrashing(t *testing.T) {
	img := smallImage(t)
	rounds := 400
	if *long {
		rounds = 5000
	}
	rng := rand.New(rand.NewPCG(21, 22))
	dir := t.TempDir()
	target := filepath.Join(dir, "callbox.db")
	refused := 0
	for i := range rounds {
		m := bytes.Clone(img)
		for range 1 + rng.IntN(40) {
			m[rng.IntN(len(m))] = byte(rng.Uint32())
		}
		if err := os.WriteFile(target, img, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Restore(target, bytes.NewReader(m))
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("round %d: %v", i, err)
			}
			if got, _ := os.ReadFile(target); !bytes.Equal(got, img) {
				t.Fatalf("round %d: refused image changed the store", i)
			}
			refused++
			continue
		}
		if probs, err := Check(target); err != nil || len(probs) != 0 {
			t.Fatalf("round %d: accepted image fails Check: %v %v", i, probs, err)
		}
	}
	if refused == 0 {
		t.Fatal("no damaged image was refused")
	}
}
