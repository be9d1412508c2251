package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"callbox/firmware/i18n"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this firmware writes.
//
// History:
//
//	1  meta/"version" = "1" (text); buckets settings, users, extensions,
//	   queues holding bare JSON; users had an "admin" flag, extensions a
//	   "password", queues Asterisk-style strategy names; no change feed.
//	2  every record in a versioned envelope, one bucket per Kind, roles,
//	   meta/"schema" and meta/"seq" as 8-byte big-endian numbers, the
//	   change log in bucket "changes".
//	3  queues hold members (agent, penalty, level, weight) instead of
//	   agent IDs, exit keys instead of offerCallback, and the ACD's
//	   other settings (queue record version 2); settings may hold pause
//	   reasons (settings record version 2); new buckets callbacks and
//	   queueintervals.
const SchemaVersion = 3

// layout is what a file holds before Open touches it.
type layout struct {
	empty   bool // no buckets at all: a file bbolt created, nothing of ours yet
	foreign bool // buckets, but not a callbox store
	version int
	missing bool // current version but a bucket is missing
}

// inspect reads the layout without writing.
func inspect(tx *bolt.Tx) layout {
	var l layout
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		n := 0
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { n++; return nil })
		if n == 0 {
			return layout{empty: true}
		}
		return layout{foreign: true}
	}
	if v := meta.Get(keySchema); len(v) == 8 {
		u := readUint(meta, keySchema)
		if u == 0 || u > 1<<20 {
			return layout{foreign: true}
		}
		l.version = int(u)
	} else if bytes.Equal(meta.Get(keyV1Version), []byte("1")) {
		l.version = 1
	} else {
		return layout{foreign: true}
	}
	if l.version == SchemaVersion {
		for _, k := range Kinds() {
			if tx.Bucket([]byte(k)) == nil {
				l.missing = true
			}
		}
		if tx.Bucket(bucketChanges) == nil {
			l.missing = true
		}
	}
	return l
}

// usable refuses layouts Open must not touch.
func (l layout) usable(path string) error {
	switch {
	case l.foreign:
		return fmt.Errorf("%w: %s is a bbolt file but not a callbox store", ErrCorrupt, path)
	case l.version > SchemaVersion:
		return fmt.Errorf("%w: %s has schema %d, this firmware knows up to %d", ErrNewerSchema, path, l.version, SchemaVersion)
	}
	return nil
}

// ready reports whether the file needs no write before use.
func (l layout) ready() bool { return !l.empty && l.version == SchemaVersion && !l.missing }

// migrations[v] turns schema v into v+1 inside the caller's transaction.
var migrations = map[int]func(tx *bolt.Tx) error{
	1: migrateV1toV2,
	2: migrateV2toV3,
}

// migrate brings any usable layout to SchemaVersion in one transaction:
// a crash half-way leaves the file as it was.
func migrate(tx *bolt.Tx, l layout, log *slog.Logger) error {
	from := l.version
	if l.empty {
		from = SchemaVersion
	}
	for v := from; v < SchemaVersion; v++ {
		m, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema %d", v)
		}
		if err := m(tx); err != nil {
			return fmt.Errorf("schema %d to %d: %w", v, v+1, err)
		}
		log.Info("store migrated", "from", v, "to", v+1)
	}
	return ensureLayout(tx)
}

// ensureLayout creates whatever buckets the current schema has and the file
// lacks, and stamps the version.
func ensureLayout(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	for _, k := range Kinds() {
		if _, err := tx.CreateBucketIfNotExists([]byte(k)); err != nil {
			return err
		}
	}
	if _, err := tx.CreateBucketIfNotExists(bucketChanges); err != nil {
		return err
	}
	if meta.Get(keySeq) == nil {
		if err := putUint(meta, keySeq, 0); err != nil {
			return err
		}
	}
	return putUint(meta, keySchema, SchemaVersion)
}

// Schema 1 record shapes, kept only to read old files.
type (
	v1User struct {
		Name    string    `json:"name"`
		Admin   bool      `json:"admin"`
		Hash    string    `json:"hash"`
		Lang    string    `json:"lang"`
		Created time.Time `json:"created"`
	}
	v1Extension struct {
		Number   string `json:"number"`
		Name     string `json:"name"`
		Password string `json:"password"`
		Lang     string `json:"lang"`
	}
	v1Settings struct {
		SiteName string `json:"siteName"`
		Lang     string `json:"lang"`
		Country  string `json:"country"`
		TimeZone string `json:"timeZone"`
	}
	v1Queue struct {
		Name     string   `json:"name"`
		Strategy string   `json:"strategy"`
		Agents   []string `json:"agents"`
	}
)

// v1Strategies maps schema 1's Asterisk-style names onto Strategy.
var v1Strategies = map[string]Strategy{
	"ringall": StrategyRingAll, "leastrecent": StrategyLeastRecent, "rrmemory": StrategyRoundRobin,
	"fewestcalls": StrategyFewestCalls, "random": StrategyRandom, "linear": StrategyLinear,
}

// migrateV1toV2 rewrites every schema 1 record in its envelope, converting
// the fields that changed. Queues are written in the current shape
// (members), which migrateV2toV3 then leaves alone. A record that cannot be read is kept under
// "meta/v1-unreadable/<bucket>/<key>" rather than lost, and reported by
// Check, so an installer can see what the old firmware had.
func migrateV1toV2(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	hasUsers := false
	convert := func(bucket string, fn func(k, v []byte) (Record, error)) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		type kv struct{ k, v []byte }
		var all []kv
		if err := b.ForEach(func(k, v []byte) error {
			if v != nil {
				all = append(all, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
			}
			return nil
		}); err != nil {
			return err
		}
		for _, e := range all {
			r, err := fn(e.k, e.v)
			var enc []byte
			if err == nil {
				enc, err = encode(r)
			}
			if err != nil || r.Key() != string(e.k) {
				if err := keepUnreadable(meta, bucket, e.k, e.v); err != nil {
					return err
				}
				if err := b.Delete(e.k); err != nil {
					return err
				}
				continue
			}
			if err := b.Put(e.k, enc); err != nil {
				return err
			}
		}
		return nil
	}
	if err := convert("users", func(k, v []byte) (Record, error) {
		var o v1User
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, err
		}
		role := RoleAgent
		if o.Admin {
			role = RoleAdmin
		}
		hasUsers = true
		return User{Name: o.Name, Role: role, PasswordHash: o.Hash, Lang: langOf(o.Lang), CreatedAt: o.Created}, nil
	}); err != nil {
		return err
	}
	if err := convert("extensions", func(k, v []byte) (Record, error) {
		var o v1Extension
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, err
		}
		return Extension{Number: o.Number, Name: o.Name, Secret: o.Password, Lang: langOf(o.Lang)}, nil
	}); err != nil {
		return err
	}
	if err := convert("settings", func(k, v []byte) (Record, error) {
		var o v1Settings
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, err
		}
		// Schema 1 had no wizard flag: a box with users had been set up.
		return Settings{SiteName: o.SiteName, Lang: langOf(o.Lang), Country: o.Country, TimeZone: o.TimeZone, SetupDone: hasUsers}, nil
	}); err != nil {
		return err
	}
	if err := convert("queues", func(k, v []byte) (Record, error) {
		var o v1Queue
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, err
		}
		st, ok := v1Strategies[o.Strategy]
		if !ok {
			st = StrategyRingAll
		}
		q := Queue{Name: o.Name, Strategy: st}
		for _, a := range o.Agents {
			q.Members = append(q.Members, QueueMember{Agent: a, Level: 1, Weight: 1})
		}
		return q, nil
	}); err != nil {
		return err
	}
	return meta.Delete(keyV1Version)
}

// migrateV2toV3 rewrites every queue of record version 1 in the current
// shape (see upgradeQueueV1: each agent becomes a member with penalty 0,
// level 1, weight 1, and the queue behaves as before). Settings of record
// version 1 read as they are. A queue that does not read or validate
// after the upgrade was already broken in schema 2; it is left as it was,
// for Check to report, rather than lost.
func migrateV2toV3(tx *bolt.Tx) error {
	b := tx.Bucket([]byte(KindQueue))
	if b == nil {
		return nil
	}
	want := recordVersions[KindQueue]
	rewrite := map[string][]byte{}
	err := b.ForEach(func(k, v []byte) error {
		var env envelope
		if v == nil || json.Unmarshal(v, &env) != nil || env.V >= want {
			return nil
		}
		var q Queue
		if decodeInto(KindQueue, v, &q) != nil || q.Key() != string(k) || q.Validate() != nil {
			return nil
		}
		enc, err := encode(q)
		if err != nil {
			return nil
		}
		rewrite[string(k)] = enc
		return nil
	})
	if err != nil {
		return err
	}
	for k, v := range rewrite {
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func keepUnreadable(meta *bolt.Bucket, bucket string, k, v []byte) error {
	u, err := meta.CreateBucketIfNotExists([]byte("v1-unreadable"))
	if err != nil {
		return err
	}
	ub, err := u.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return ub.Put(k, v)
}

func langOf(s string) i18n.Lang {
	switch s {
	case "zh", "en":
		return i18n.Lang(s)
	}
	return ""
}
