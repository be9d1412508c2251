// Package store keeps the appliance's configuration and history in one
// bbolt file: typed records with validation, a schema version with
// migrations, a change feed, and backup/restore.
//
// # Records
//
// Every record type is a plain value struct (Settings, User, Extension,
// Trunk, Line, Agent, Skill, Queue, Flow, Hours, Customer, Contact, CDR,
// Recording, Registration, Message, Callback, QueueInterval) implementing
// Record: its Kind names
// its bucket, its Key is unique within the kind, and Validate returns a
// *ValidationError listing every bad field with a message key of the
// catalogue (firmware/i18n/store.go), so the web UI can show each
// problem next to its field in the user's language:
//
//	ext := store.Extension{Number: "201", Name: "Front desk", Secret: secret}
//	if _, err := store.Put(s, ext); err != nil {
//		var verr *store.ValidationError
//		if errors.As(err, &verr) {
//			show(verr.Messages(lang)) // field -> message
//		}
//	}
//	ext, err := store.Get[store.Extension](s, "201") // ErrNotFound
//	exts, err := store.List[store.Extension](s)      // in key order
//	_, err = store.Update(s, "m1", func(m *store.Message) error { m.Attempts++; return nil })
//
// Create refuses a taken key (ErrExists), Update is read-modify-write in
// one transaction, PutAll stores several records all or nothing, ListFunc
// streams a key prefix, and Lookup/Export read a record whose kind is only
// known at run time (a change from the feed). NewID makes time-ordered
// keys for CDRs, contacts, messages and recordings.
//
// Records are stored as JSON inside an envelope that names the kind and the
// record version ({"kind":"users","v":1,"data":{...}}); a reader refuses a
// kind it was not asked for, a version newer than it knows and fields it
// does not know, rather than misread them. An older version is upgraded
// as it is read (a queue of version 1 lists agent IDs; it reads as
// members), so a record from an older box's replica or import still
// decodes.
//
// The ACD's records: Queue (members with penalty, level and weight, the
// strategy, announcements, exit keys, join/stay rules, widening steps,
// affinity, callback retries), Callback (a caller's callback with its
// place in the queue, so it survives a restart; acd/queue.StoreCallbacks
// reads and writes them) and QueueInterval (the final figures of one
// queue for one 15-minute interval, keyed QueueIntervalKey: queue, '|',
// RFC 3339 UTC start, so one queue's intervals sort by time). Settings
// hold the pause reasons and the automatic pause.
//
// Passwords are kept as argon2id hashes in the PHC string format
// (User.SetPassword, User.CheckPassword); SIP secrets are kept in clear
// because digest authentication needs them.
//
// # Promises
//
//   - A write that returned without error is on disk (bbolt commits with
//     fsync). A crash at any moment leaves the file openable, consistent
//     and holding every acknowledged write; this is tested by killing a
//     writing child process with SIGKILL over and over.
//   - Open never modifies a file it refuses: a corrupt or foreign file
//     (ErrCorrupt) or one from newer firmware (ErrNewerSchema) is
//     inspected read-only first.
//   - Open, Check and Restore never hand an unchecked file to bbolt, which
//     follows page numbers and offsets blindly and would fault (SIGBUS) on
//     a truncated file or loop on a damaged one: they first read the meta
//     pages and walk the page tree with plain reads (pages inside the
//     file, each used once, keys and values inside their pages). Damage is
//     reported as ErrCorrupt or a Problem, not a crash. (WithSkipVerify
//     leaves the walk out of Open.)
//   - Migrations from older schemas run at Open, in order, in one
//     transaction: a crash mid-migration leaves the old file.
//   - Restore validates an image fully in a temporary file before an
//     atomic rename; a bad image leaves the current file untouched.
//   - Check reports problems without writing: bbolt's page check, the
//     schema, the change log, and every record decoding and validating.
//
// # Change feed
//
// Every committed write gets the next sequence number inside its own
// transaction and a log entry (Change: seq, kind, key, op, time), so the
// numbers are gap-free and in commit order, and survive restarts; a
// refused write takes no number. The last DefaultFeedLimit entries
// (WithFeedLimit) are kept in the file, so a subscriber — the web
// UI, a service that reloads its configuration, the standby box — can
// resume after the last seq it handled, even across restarts.
//
// Subscribe(ctx, after) delivers every change after seq in order, first
// from the log, then live. Writers never wait for subscribers: a commit
// only wakes them (a non-blocking send), and each subscriber's goroutine
// reads the log at its own pace into a channel buffered for 64 changes.
// A change names the record; read it with Get or Lookup, which return the
// latest value (a subscriber that is behind may see a later value than
// the change it is handling; the later change follows).
//
// A subscriber that falls behind by more than the log holds is dropped:
// its channel closes while its ctx is still alive. It then resubscribes
// from its last seq, or, when that is older than OldestSeq()-1, reloads
// the records it mirrors and resubscribes from Seq(). A subscription
// asking for a seq beyond Seq() (a store restored from an older backup) is
// closed the same way. Close ends every subscription and waits for its
// goroutine.
//
// A replica follows the same way: Subscribe and Export on the active
// store, Apply on its own.
//
// # Schema
//
// meta/schema holds the layout version (SchemaVersion, now 3). Open runs
// the migrations from the file's version to the current one in order, in
// one transaction; testdata/v1.db and testdata/v2.db are schema 1 and 2
// files (made by writeV1 and writeV2 in the tests, with -update-v1 and
// -update-v2) that the tests migrate to 3. Migration 2 -> 3 rewrites the
// queues in the current shape (each agent a member with penalty 0, level
// 1, weight 1; offerCallback as exit key 1; announcePosition as position
// and wait every minute) and creates the callbacks and queueintervals
// buckets. Records keep their own envelope version for changes of one
// kind.
package store
