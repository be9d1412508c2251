package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is an open callbox data store. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	path   string
	opts   options
	schema int

	seq atomic.Uint64 // last committed sequence number

	mu      sync.Mutex // guards subs and recent
	subs    map[*subscriber]struct{}
	recent  *[recentChanges]Change // the last changes committed, at Seq % recentChanges
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup // subscriber goroutines
}

type options struct {
	now         func() time.Time
	readOnly    bool
	log         *slog.Logger
	lockTimeout time.Duration
	skipVerify  bool
	feedLimit   uint64
}

// Option configures Open.
type Option func(*options)

// WithClock sets the clock that stamps changes (tests inject a fixed one).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReadOnly opens the file without write access and without locking out
// other readers. Writes return ErrReadOnly; a file that needs a migration
// is refused with ErrReadOnly.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSkipVerify makes Open check only the header and size of an existing
// file, not walk its pages. The walk reads the whole file once (about
// 20 ms for 8 MB on a PC) and keeps a damaged file from crashing the
// process later inside bbolt; skip it only where the file was just
// checked.
func WithSkipVerify() Option { return func(o *options) { o.skipVerify = true } }

// WithLockTimeout sets how long Open waits for another process to release
// the file before returning ErrLocked (default 1 s).
func WithLockTimeout(d time.Duration) Option { return func(o *options) { o.lockTimeout = d } }

// WithFeedLimit sets how many changes the change log keeps for subscribers
// that resume (default DefaultFeedLimit, minimum 16).
func WithFeedLimit(n int) Option {
	return func(o *options) {
		if n < 16 {
			n = 16
		}
		o.feedLimit = uint64(n)
	}
}

// DefaultFeedLimit is how many changes the log keeps by default.
const DefaultFeedLimit = 10000

// Bucket and key names of the store's own bookkeeping.
var (
	bucketMeta    = []byte("meta")
	bucketChanges = []byte("changes")
	keySchema     = []byte("schema")
	keySeq        = []byte("seq")
	keyV1Version  = []byte("version") // schema 1 kept its version here as text
)

// Open opens the store at path, creating the directory and the file when
// missing, and brings an older schema up to date in one transaction.
//
// An existing file is first inspected read-only, so a file that is corrupt
// (ErrCorrupt: not bbolt, truncated, a damaged page tree), foreign
// (ErrCorrupt) or from a newer firmware (ErrNewerSchema) is refused
// without a single byte written. ErrLocked means another process has it
// open. Record contents are not checked at Open; Check does that.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, log: slog.Default(), lockTimeout: time.Second, feedLimit: DefaultFeedLimit}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	st, statErr := os.Stat(path)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
		return nil, fmt.Errorf("store: open %s: %w", path, statErr)
	}
	if exists && st.IsDir() {
		return nil, fmt.Errorf("store: open %s: is a directory", path)
	}
	if !exists && o.readOnly {
		return nil, fmt.Errorf("store: open %s: %w", path, os.ErrNotExist)
	}
	if exists && st.Size() > 0 {
		problem, err := verifyPath(path, o.lockTimeout, !o.skipVerify)
		if err != nil {
			return nil, err
		}
		if problem != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, problem)
		}
		// Look before touching: bbolt may write when it opens a file for
		// writing (a missing free list), and we must not alter a foreign
		// or newer file.
		l, err := inspectFile(path, o.lockTimeout)
		if err != nil {
			return nil, err
		}
		if err := l.usable(path); err != nil {
			return nil, err
		}
		if o.readOnly && l.version != SchemaVersion && !l.empty {
			return nil, fmt.Errorf("%w: %s has schema %d and needs a migration to %d", ErrReadOnly, path, l.version, SchemaVersion)
		}
	}
	if !o.readOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		if !exists {
			if err := createFresh(path, o); err != nil {
				return nil, err
			}
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.lockTimeout, ReadOnly: o.readOnly})
	if err != nil {
		return nil, mapOpenErr(path, err)
	}
	s := &Store{db: db, path: path, opts: o, subs: map[*subscriber]struct{}{}, closing: make(chan struct{}),
		recent: new([recentChanges]Change)}
	if err := s.prepare(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// createFresh makes a new, empty store at path atomically: it is built
// under a temporary name, synced and renamed, so a crash while the box
// creates its store never leaves a half-written file at path (bbolt
// writes its first pages with no way to recover a torn write).
func createFresh(path string, o options) (err error) {
	tmp := path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: o.lockTimeout})
	if err != nil {
		return mapOpenErr(tmp, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	err = db.Update(func(tx *bolt.Tx) error { return migrate(tx, layout{empty: true}, o.log) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// mapOpenErr turns bbolt's open errors into the store's named errors.
func mapOpenErr(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: %s", ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	case errors.Is(err, os.ErrPermission), errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	// Anything else at open (short file, bad mmap) means the file is not
	// what bbolt wrote.
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
}

// prepare creates or migrates the layout and loads the sequence number.
func (s *Store) prepare() error {
	var l layout
	if err := s.db.View(func(tx *bolt.Tx) error {
		l = inspect(tx)
		return nil
	}); err != nil {
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	if err := l.usable(s.path); err != nil {
		return err
	}
	if !l.ready() {
		if s.opts.readOnly {
			return fmt.Errorf("%w: %s needs a migration", ErrReadOnly, s.path)
		}
		if err := s.db.Update(func(tx *bolt.Tx) error { return migrate(tx, l, s.opts.log) }); err != nil {
			return fmt.Errorf("store: migrate %s: %w", s.path, err)
		}
	}
	s.schema = SchemaVersion
	return s.db.View(func(tx *bolt.Tx) error {
		s.seq.Store(readUint(tx.Bucket(bucketMeta), keySeq))
		return nil
	})
}

// Close stops every subscription (their channels close), waits for them
// and closes the file. It is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		// Under mu, so that no Subscribe adds to wg once Wait may run.
		s.mu.Lock()
		close(s.closing)
		s.mu.Unlock()
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Size returns the size of the file in bytes (0 if it cannot be read).
func (s *Store) Size() int64 {
	if st, err := os.Stat(s.path); err == nil {
		return st.Size()
	}
	return 0
}

// SchemaVersion returns the schema version of the open file (always the
// firmware's SchemaVersion once Open succeeded).
func (s *Store) SchemaVersion() int { return s.schema }

// Counts returns the number of records of every kind.
func (s *Store) Counts() (map[Kind]int, error) {
	out := make(map[Kind]int, len(Kinds()))
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, k := range Kinds() {
			b := tx.Bucket([]byte(k))
			if b == nil {
				continue
			}
			out[k] = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return nil, s.mapErr(err)
	}
	return out, nil
}

// Backup writes a consistent snapshot of the whole file to w while reads
// and writes go on. The image is itself a store file: Restore takes it.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", s.mapErr(err))
	}
	return n, nil
}

// mapErr turns bbolt's runtime errors into the store's.
func (s *Store) mapErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %v", ErrClosed, err)
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

func putUint(b *bolt.Bucket, key []byte, v uint64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	return b.Put(key, buf[:])
}

func readUint(b *bolt.Bucket, key []byte) uint64 {
	if b == nil {
		return 0
	}
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func seqKey(seq uint64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], seq)
	return buf[:]
}
