package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// MaxBackupSize bounds an image Restore accepts, so that an upload cannot
// fill the data partition.
const MaxBackupSize = 8 << 30

// inspectFile opens path read-only and reports its layout. It never writes.
func inspectFile(path string, timeout time.Duration) (layout, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return layout{}, mapOpenErr(path, err)
	}
	defer db.Close()
	var l layout
	var walkErr error
	err = db.View(func(tx *bolt.Tx) error {
		if !walkSafely(func() { l = inspect(tx) }) {
			walkErr = fmt.Errorf("%w: %s: cannot read its buckets", ErrCorrupt, path)
		}
		return nil
	})
	if err == nil {
		err = walkErr
	}
	return l, err
}

// Restore replaces the store file at path with the backup image read from
// r. The store must not be open (ErrLocked if another process has it).
//
// The image is written to a temporary file next to path, synced, and
// checked as thoroughly as Check does: it must be a bbolt file, hold a
// callbox store of a schema this firmware knows (an older one is migrated
// first), and have no problems. Only then is it renamed over path. A bad
// image returns an error wrapping ErrBadBackup (and ErrNewerSchema for an
// image from newer firmware); the current file is left byte for byte as
// it was.
func Restore(path string, r io.Reader) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".restore-*")
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(r, MaxBackupSize+1))
	if err != nil {
		return fmt.Errorf("store: restore: reading the image: %w", err)
	}
	if n > MaxBackupSize {
		return fmt.Errorf("%w: larger than %d bytes", ErrBadBackup, int64(MaxBackupSize))
	}
	if n == 0 {
		return fmt.Errorf("%w: empty", ErrBadBackup)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := validateImage(tmpName); err != nil {
		return err
	}
	if err := checkNotOpen(path); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	return syncDir(dir)
}

// validateImage checks the image at tmp, migrating an older schema in
// place (the image is our own temporary copy).
func validateImage(tmp string) error {
	problem, err := verifyPath(tmp, time.Second, true)
	if err == nil {
		err = problem
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	// bbolt's page check before a migration writes to the image: a write
	// to a damaged tree can panic inside bbolt.
	if probs, err := filePages(tmp); err != nil || len(probs) > 0 {
		if err == nil {
			err = errors.New(probs[0].String())
		}
		return fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	l, err := inspectFile(tmp, time.Second)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	switch {
	case l.empty || l.foreign:
		return fmt.Errorf("%w: a bbolt file but not a callbox store", ErrBadBackup)
	case l.version > SchemaVersion:
		return fmt.Errorf("%w: %w: image schema %d, this firmware knows up to %d", ErrBadBackup, ErrNewerSchema, l.version, SchemaVersion)
	case !l.ready():
		if err := migrateFile(tmp); err != nil {
			return fmt.Errorf("%w: migrating the image: %v", ErrBadBackup, err)
		}
	}
	probs, err := Check(tmp)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	if len(probs) > 0 {
		msgs := make([]string, 0, 3)
		for i, p := range probs {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(probs)-3))
				break
			}
			msgs = append(msgs, p.String())
		}
		return fmt.Errorf("%w: %s", ErrBadBackup, strings.Join(msgs, "; "))
	}
	return nil
}

// filePages runs checkPages on the file at path, read-only.
func filePages(path string) ([]Problem, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, mapOpenErr(path, err)
	}
	defer db.Close()
	var probs []Problem
	err = db.View(func(tx *bolt.Tx) error {
		probs = checkPages(tx)
		return nil
	})
	return probs, err
}

// migrateFile brings the image at path to SchemaVersion. A panic inside
// bbolt (a damage no check caught) is turned into an error; the image is
// a temporary file and is thrown away.
func migrateFile(path string) (err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return mapOpenErr(path, err)
	}
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if !walkSafely(func() {
		err = db.Update(func(tx *bolt.Tx) error { return migrate(tx, inspect(tx), slog.Default()) })
	}) {
		return errors.New("the image is damaged")
	}
	return err
}

// checkNotOpen returns ErrLocked when a process (this one included) has
// the store at path open. It asks for the same flock bbolt takes, without
// waiting and without reading the file, which may be damaged.
func checkNotOpen(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("store: restore: %w: %s (stop the appliance first)", ErrLocked, path)
		}
		return fmt.Errorf("store: restore: lock %s: %w", path, err)
	}
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}
