package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// FuzzDecodeRecord feeds arbitrary bytes to the decoder of every kind: it
// must return a record that validates, or an error, never panic.
func FuzzDecodeRecord(f *testing.F) {
	kinds := Kinds()
	for i, r := range validRecords() {
		b, err := encode(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(0), []byte(`{"kind":"settings","v":1,"data":null}`))
	f.Add(uint8(2), []byte(`{"kind":"extensions","v":1,"data":{"number":"201","secret":"x"}} {}`))
	f.Add(uint8(8), []byte(`{"kind":"flows","v":1,"data":{"id":"f","name":"n","version":1,"doc":{"a":[1,{"b":null}]}}}`))
	f.Add(uint8(7), []byte(`{"kind":"queues","v":1,"data":{"name":"q","strategy":"ringall","agents":["11",12],"offerCallback":true}}`))
	f.Add(uint8(7), []byte(`{"kind":"queues","v":1,"data":{"name":"q","strategy":"linear","agents":["11"],"announcePosition":true,"maxCallers":1e400}}`))
	f.Add(uint8(9), []byte(`{"kind":"hours","v":1,"data":{"name":"h","weekly":[{"day":-1,"start":"99:99","end":""}]}}`))
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		kind := kinds[int(k)%len(kinds)]
		r, err := DecodeRecord(kind, data)
		if err != nil {
			return
		}
		if r.Kind() != kind || r.Validate() != nil {
			t.Fatalf("decoded %s does not hold: %+v", kind, r)
		}
		// What decodes must encode and decode to the same thing.
		b, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRecord(kind, b)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		b2, _ := encode(r2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("unstable encoding: %s vs %s", b, b2)
		}
	})
}

// FuzzDecodeChange covers the change-log entries a subscriber or the
// standby reads.
func FuzzDecodeChange(f *testing.F) {
	f.Add([]byte(`{"seq":1,"kind":"users","key":"admin","op":"put","at":"2026-11-27T05:00:00Z"}`))
	f.Add([]byte(`{"seq":0,"kind":"x","key":"","op":"drop"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeChange(data)
		if err != nil {
			return
		}
		if c.Seq == 0 || !c.Kind.Valid() || c.Key == "" {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzParsePHC covers stored password hashes.
func FuzzParsePHC(f *testing.F) {
	u := User{Name: "a"}
	if err := u.SetPassword("Correct-Horse-9"); err != nil {
		f.Fatal(err)
	}
	f.Add(u.PasswordHash)
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdA$c2FsdA")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.memory > argonMaxMemoryKiB || p.time > argonMaxTime || len(p.key) < 16 || len(p.salt) < 8 {
			t.Fatalf("accepted costly or short hash %q", s)
		}
	})
}

// FuzzCheckHeader covers the first check every file and backup image
// meets, before bbolt maps it.
func FuzzCheckHeader(f *testing.F) {
	img := smallImage(f)
	f.Add(img[:2048], int64(len(img)))
	f.Add(img[:2048], int64(2048))
	f.Add(img[:100], int64(100))
	f.Add([]byte("SQLite format 3\x00"), int64(16))
	f.Fuzz(func(t *testing.T, head []byte, size int64) {
		_ = checkHeader(head, size)
	})
}

// FuzzRestore feeds arbitrary images to Restore: a bad one must be refused
// with ErrBadBackup and leave the current store as it was.
func FuzzRestore(f *testing.F) {
	img := smallImage(f)
	f.Add(img)
	f.Add(img[:len(img)/2])
	mutated := bytes.Clone(img)
	mutated[len(img)/2] ^= 0xff
	f.Add(mutated)
	v1, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		target := filepath.Join(dir, "callbox.db")
		if err := os.WriteFile(target, img, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Restore(target, bytes.NewReader(data))
		after, rerr := os.ReadFile(target)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("refused without ErrBadBackup: %v", err)
			}
			if !bytes.Equal(after, img) {
				t.Fatal("refused image changed the store")
			}
			return
		}
		probs, err := Check(target)
		if err != nil || len(probs) != 0 {
			t.Fatalf("accepted image fails Check: %v %v", probs, err)
		}
	})
}

// smallImage is a backup of a store holding one record of every kind, on
// 1024-byte pages (bbolt cannot reopen 512) so that fuzzing mutates a small input.
func smallImage(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "img.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	for _, r := range validRecords() {
		b, err := encode(r)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := s.commit(r.Kind(), r.Key(), OpPut, b, modeAny); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
