package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var updateV2 = flag.Bool("update-v2", false, "rewrite testdata/v2.db, the schema 2 fixture")

// v2Kinds are the buckets schema 2 had, one per kind of that time.
var v2Kinds = []string{"settings", "users", "extensions", "trunks", "lines", "agents", "skills", "queues",
	"flows", "hours", "customers", "contacts", "cdrs", "recordings", "registrations", "messages"}

// v2Records are schema 2 records as schema 2 firmware wrote them: the
// JSON is spelled out, not made from today's types, so the fixture keeps
// the old shape whatever the types become.
var v2Records = []struct{ bucket, key, data string }{
	{"settings", "site", `{"siteName":"Shop","lang":"zh","country":"cn","timeZone":"Asia/Shanghai","setupDone":true}`},
	{"extensions", "201", `{"number":"201","name":"Front desk","secret":"Front-desk-201x"}`},
	{"agents", "11", `{"id":"11","name":"Li Na","extension":"201","enabled":true}`},
	{"agents", "12", `{"id":"12","name":"Wang Wei","enabled":true}`},
	{"queues", "sales", `{"name":"sales","number":"600","strategy":"linear","agents":["12","11"],"ringSeconds":15,"announcePosition":true,"offerCallback":true,"overflow":"vm:201"}`},
	{"queues", "support", `{"name":"support","strategy":"skills","skills":[{"skill":"zh","minLevel":2}]}`},
	// Invalid already in schema 2 (a one-digit agent): kept for Check.
	{"queues", "broken", `{"name":"broken","strategy":"ringall","agents":["1"]}`},
}

// writeV2 writes a store the way schema 2 firmware laid it out: meta
// schema and seq as 8-byte numbers, one bucket per kind holding version 1
// envelopes, and the change log.
func writeV2(t *testing.T, path string, broken bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, k := range v2Kinds {
			if _, err := tx.CreateBucket([]byte(k)); err != nil {
				return err
			}
		}
		log, err := tx.CreateBucket(bucketChanges)
		if err != nil {
			return err
		}
		seq := uint64(0)
		for _, r := range v2Records {
			if r.key == "broken" && !broken {
				continue
			}
			env := `{"kind":"` + r.bucket + `","v":1,"data":` + r.data + `}`
			if err := tx.Bucket([]byte(r.bucket)).Put([]byte(r.key), []byte(env)); err != nil {
				return err
			}
			seq++
			c, err := json.Marshal(map[string]any{"seq": seq, "kind": r.bucket, "key": r.key, "op": "put", "at": at})
			if err != nil {
				return err
			}
			if err := log.Put(seqKey(seq), c); err != nil {
				return err
			}
		}
		if err := putUint(meta, keySeq, seq); err != nil {
			return err
		}
		return putUint(meta, keySchema, 2)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateV2Fixture rewrites testdata/v2.db when run with -update-v2.
func TestGenerateV2Fixture(t *testing.T) {
	if !*updateV2 {
		t.Skip("run with -update-v2 to rewrite testdata/v2.db")
	}
	path := filepath.Join("testdata", "v2.db")
	_ = os.Remove(path)
	writeV2(t, path, true)
	compactFixture(t, path)
}

func TestMigrate_OpensSchema2FixtureAndTurnsAgentsIntoMembers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	copyFile(t, filepath.Join("testdata", "v2.db"), path)
	if probs, err := Check(path); err != nil || len(probs) != 1 || probs[0].Code != "store.problem.older" {
		t.Fatalf("Check before migration: %v %v", probs, err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.SchemaVersion() != 3 {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
	sales, err := Get[Queue](s, "sales")
	if err != nil {
		t.Fatal(err)
	}
	want := []QueueMember{{Agent: "12", Level: 1, Weight: 1}, {Agent: "11", Level: 1, Weight: 1}}
	if !slices.Equal(sales.Members, want) || sales.Strategy != StrategyLinear || sales.RingSeconds != 15 || sales.Overflow != "vm:201" {
		t.Fatalf("sales after migration: %+v", sales)
	}
	// The old flags keep their meaning: key 1 asks for a callback, and
	// position and wait are announced every minute.
	if !slices.Equal(sales.ExitKeys, []QueueExit{{Key: "1", Kind: ExitCallback}}) ||
		sales.AnnounceSeconds != 60 || !sales.AnnouncePosition || !sales.AnnounceWait {
		t.Fatalf("sales announcements and keys: %+v", sales)
	}
	support, err := Get[Queue](s, "support")
	if err != nil || len(support.Members) != 0 || support.Skills[0] != (QueueSkill{"zh", 2}) || support.AnnounceSeconds != 0 {
		t.Fatalf("support after migration: %+v %v", support, err)
	}
	set, err := GetSettings(s)
	if err != nil || set.SiteName != "Shop" || !set.SetupDone || set.PauseReasons != nil {
		t.Fatalf("settings after migration: %+v %v", set, err)
	}
	// The sequence and the change log carry on; the new kinds work.
	if s.Seq() != uint64(len(v2Records)) {
		t.Fatalf("seq %d", s.Seq())
	}
	cb := validCallback()
	ch, err := Put(s, cb)
	if err != nil || ch.Seq != uint64(len(v2Records))+1 {
		t.Fatalf("first write after migration: %+v %v", ch, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The queue that was already invalid is kept, not lost, and reported.
	probs, err := Check(path)
	if err != nil || len(probs) != 1 || probs[0].Kind != KindQueue || probs[0].Key != "broken" || probs[0].Code != "store.problem.invalid" {
		t.Fatalf("Check after migration: %v %v", probs, err)
	}
	before := fileHash(t, path)
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Get[Callback](s, cb.ID); err != nil || got.Number != cb.Number {
		t.Fatalf("callback after reopen: %+v %v", got, err)
	}
	s.Close()
	if fileHash(t, path) != before {
		t.Fatal("reopening a migrated store modified it")
	}
}

func TestMigrate_Schema2QueuesAreRewrittenInTheCurrentVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	writeV2(t, path, true)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"sales", "support", "broken"} {
			var env envelope
			if err := json.Unmarshal(tx.Bucket([]byte(KindQueue)).Get([]byte(name)), &env); err != nil {
				t.Fatal(err)
			}
			wantV := 2
			if name == "broken" {
				wantV = 1
			}
			if env.V != wantV {
				t.Errorf("%s: record version %d, want %d", name, env.V, wantV)
			}
		}
		for _, k := range []Kind{KindCallback, KindQueueInterval} {
			if tx.Bucket([]byte(k)) == nil {
				t.Errorf("bucket %s missing", k)
			}
		}
		return nil
	})
}

func TestDecodeRecord_UpgradesAVersion1QueueFromAnOlderBox(t *testing.T) {
	// A replica or an import may still hand over the schema 2 shape.
	r, err := DecodeRecord(KindQueue, []byte(`{"kind":"queues","v":1,"data":{"name":"q","strategy":"ringall","agents":["21"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if q := r.(Queue); !slices.Equal(q.Members, []QueueMember{{Agent: "21", Level: 1, Weight: 1}}) {
		t.Fatalf("members %+v", q.Members)
	}
	for _, bad := range []string{
		`{"kind":"queues","v":1,"data":{"name":"q","strategy":"ringall","agents":"21"}}`,
		`{"kind":"queues","v":1,"data":{"name":"q","strategy":"ringall","agents":[21]}}`,
		`{"kind":"queues","v":1,"data":[1]}`,
		`{"kind":"queues","v":2,"data":{"name":"q","strategy":"ringall","agents":["21"]}}`,
	} {
		if _, err := DecodeRecord(KindQueue, []byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestRestore_MigratesSchema2ImageAndRefusesOneWithABrokenQueue(t *testing.T) {
	dir := t.TempDir()
	for _, broken := range []bool{false, true} {
		img := filepath.Join(dir, "image.db")
		_ = os.Remove(img)
		writeV2(t, img, broken)
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		target := seeded(t)
		before := fileHash(t, target)
		err = Restore(target, bytes.NewReader(b))
		if broken {
			if !errors.Is(err, ErrBadBackup) || fileHash(t, target) != before {
				t.Fatalf("broken image: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(target, WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		q, err := Get[Queue](s, "sales")
		s.Close()
		if err != nil || len(q.Members) != 2 || q.Members[0].Agent != "12" {
			t.Fatalf("sales after restore: %+v %v", q, err)
		}
	}
}
