package store

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var updateV1 = flag.Bool("update-v1", false, "rewrite testdata/v1.db, the schema 1 fixture")

const v1Password = "Old-firmware-pw1"

// writeV1 writes a store the way schema 1 firmware laid it out (see
// SchemaVersion), with extra unreadable records when broken is set.
func writeV1(t *testing.T, path string, broken bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := User{Name: "admin"}
	if err := u.SetPassword(v1Password); err != nil {
		t.Fatal(err)
	}
	put := func(tx *bolt.Tx, bucket, key string, v any) {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := v.(string)
		if !ok {
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(enc)
		}
		if err := b.Put([]byte(key), []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	created := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		put(tx, "meta", "version", "1")
		put(tx, "settings", "site", v1Settings{SiteName: "Old site", Lang: "zh", Country: "cn", TimeZone: "Asia/Shanghai"})
		put(tx, "users", "admin", v1User{Name: "admin", Admin: true, Hash: u.PasswordHash, Lang: "zh", Created: created})
		put(tx, "users", "li", v1User{Name: "li", Hash: u.PasswordHash, Lang: "xx", Created: created})
		put(tx, "extensions", "201", v1Extension{Number: "201", Name: "Front desk", Password: "Front-desk-201x", Lang: "en"})
		put(tx, "extensions", "202", v1Extension{Number: "202", Name: "Back office", Password: "Back-office-9z"})
		put(tx, "queues", "sales", v1Queue{Name: "sales", Strategy: "rrmemory", Agents: []string{"11", "12"}})
		put(tx, "queues", "support", v1Queue{Name: "support", Strategy: "leastrecent"})
		if broken {
			put(tx, "extensions", "203", "{not json")
			put(tx, "queues", "x y", v1Queue{Name: "x y", Strategy: "ringall"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateV1Fixture rewrites testdata/v1.db when run with -update-v1.
// The committed file is what the migration test opens, so it keeps
// testing the real old layout even after writeV1's types drift.
func TestGenerateV1Fixture(t *testing.T) {
	if !*updateV1 {
		t.Skip("run with -update-v1 to rewrite testdata/v1.db")
	}
	path := filepath.Join("testdata", "v1.db")
	_ = os.Remove(path)
	writeV1(t, path, false)
	compactFixture(t, path)
}

// compactFixture rewrites a fixture compacted, so the committed file
// stays small.
func compactFixture(t *testing.T, path string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	src, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := bolt.Open(tmp, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bolt.Compact(dst, src, 0); err != nil {
		t.Fatal(err)
	}
	src.Close()
	dst.Close()
	copyFile(t, tmp, path)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestMigrate_OpensSchema1FixtureAndConvertsRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	copyFile(t, filepath.Join("testdata", "v1.db"), path)

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.SchemaVersion() != SchemaVersion || SchemaVersion != 3 {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
	admin, err := Get[User](s, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if admin.Role != RoleAdmin || admin.Lang != "zh" || !admin.CheckPassword(v1Password) || admin.CreatedAt.IsZero() {
		t.Fatalf("admin after migration: %+v", admin)
	}
	li, err := Get[User](s, "li")
	if err != nil || li.Role != RoleAgent || li.Lang != "" {
		t.Fatalf("li after migration: %+v %v", li, err)
	}
	ext, err := Get[Extension](s, "201")
	if err != nil || ext.Secret != "Front-desk-201x" || ext.Lang != "en" {
		t.Fatalf("extension after migration: %+v %v", ext, err)
	}
	sales, err := Get[Queue](s, "sales")
	want := []QueueMember{{Agent: "11", Level: 1, Weight: 1}, {Agent: "12", Level: 1, Weight: 1}}
	if err != nil || sales.Strategy != StrategyRoundRobin || !slices.Equal(sales.Members, want) {
		t.Fatalf("queue after migration: %+v %v", sales, err)
	}
	support, _ := Get[Queue](s, "support")
	if support.Strategy != StrategyLeastRecent {
		t.Fatalf("support strategy %q", support.Strategy)
	}
	set, err := GetSettings(s)
	if err != nil || set.SiteName != "Old site" || set.TimeZone != "Asia/Shanghai" || !set.SetupDone {
		t.Fatalf("settings after migration: %+v %v", set, err)
	}
	// The migrated store is a normal one: writes take sequence numbers
	// from 1 and the feed works.
	ch, err := Put(s, goodExtension("209"))
	if err != nil || ch.Seq != 1 {
		t.Fatalf("first write after migration: %+v %v", ch, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	probs, err := Check(path)
	if err != nil || len(probs) != 0 {
		t.Fatalf("Check after migration: %v %v", probs, err)
	}
	// Opening again runs no migration and writes nothing.
	before := fileHash(t, path)
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fileHash(t, path) != before {
		t.Fatal("reopening a current store modified it")
	}
}

func TestMigrate_KeepsUnreadableSchema1RecordsAndReportsThem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	writeV1(t, path, true)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Get[Extension](s, "203"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unreadable record is still in its bucket: %v", err)
	}
	s.Close()
	probs, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 2 || probs[0].Kind != KindExtension || probs[1].Kind != KindQueue {
		t.Fatalf("problems: %v", probs)
	}
}

func TestMigrate_ReadOnlyOpenOfSchema1IsRefusedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	copyFile(t, filepath.Join("testdata", "v1.db"), path)
	before := fileHash(t, path)
	if _, err := Open(path, WithReadOnly()); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("want ErrReadOnly, got %v", err)
	}
	if fileHash(t, path) != before {
		t.Fatal("file modified")
	}
}

func TestOpen_RefusesNewerSchemaWithoutModifyingTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema(t, path, SchemaVersion+1)
	before := fileHash(t, path)
	if _, err := Open(path); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("want ErrNewerSchema, got %v", err)
	}
	if _, err := Open(path, WithReadOnly()); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("read-only: want ErrNewerSchema, got %v", err)
	}
	if fileHash(t, path) != before {
		t.Fatal("a newer file was modified")
	}
}

func setSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return putUint(tx.Bucket(bucketMeta), keySchema, v) }); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_RefusesForeignBoltFileWithoutModifyingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	writeForeign(t, path)
	before := fileHash(t, path)
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("want ErrCorrupt, got %v", err)
	}
	if fileHash(t, path) != before {
		t.Fatal("foreign file modified")
	}
}

func writeForeign(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("a"), []byte("b"))
	}); err != nil {
		t.Fatal(err)
	}
}
