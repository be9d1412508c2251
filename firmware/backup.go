package firmware

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"callbox/firmware/console"
	"callbox/firmware/store"
)

// ErrRunning means the box is running and the operation needs it stopped.
var ErrRunning = errors.New("callbox is running")

// Backup writes a consistent snapshot of the store in dataDir to out. While
// the box runs (it holds the store's lock) the snapshot comes through the
// console socket; otherwise the store is opened read-only. Either way the
// snapshot is written to a temporary file next to out, checked with
// store.Check, and only then renamed to out, so out is never a partial
// file. It reports whether the running box served it.
func Backup(dataDir, out string) (n int64, live bool, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".part-*")
	if err != nil {
		return 0, false, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	c, dialErr := console.Dial(ConsoleSocket(dataDir))
	switch {
	case dialErr == nil:
		live = true
		n, err = console.FetchBackup(c, tmp)
	case errors.Is(dialErr, console.ErrNotRunning):
		n, err = offlineBackup(dataDir, tmp)
	default:
		err = dialErr
	}
	if err != nil {
		return 0, live, fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, live, fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, live, fmt.Errorf("backup: %w", err)
	}
	problems, err := store.Check(tmp.Name())
	if err != nil {
		return 0, live, fmt.Errorf("backup: the snapshot does not check: %w", err)
	}
	if len(problems) > 0 {
		return 0, live, fmt.Errorf("backup: the snapshot has %d problems, first: %s", len(problems), problems[0].Msg)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return 0, live, fmt.Errorf("backup: %w", err)
	}
	return n, live, nil
}

func offlineBackup(dataDir string, w io.Writer) (int64, error) {
	path := StorePath(dataDir)
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("no store at %s: %w", path, err)
	}
	s, err := store.Open(path, store.WithReadOnly())
	if err != nil {
		return 0, err
	}
	defer s.Close()
	return s.Backup(w)
}

// Restore replaces the store in dataDir with the backup in file, after the
// store package has validated it completely. It refuses while the box runs.
func Restore(dataDir, in string) error {
	c, err := console.Dial(ConsoleSocket(dataDir))
	if err == nil {
		c.Close()
		return ErrRunning
	}
	if !errors.Is(err, console.ErrNotRunning) {
		return fmt.Errorf("restore: %w", err)
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	return store.Restore(StorePath(dataDir), f)
}
