package firmware

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// The log file under <data>/log/ stays below logMaxBytes*(logKeep+1) bytes,
// so a chatty fault cannot fill the flash.
const (
	logMaxBytes = 1 << 20
	logKeep     = 4
)

// RotatingFile is an append-only file that renames itself to path.1 (path.1
// to path.2, and so on, keeping keep old files) before a write would make it
// larger than max bytes. It is safe for concurrent use.
type RotatingFile struct {
	path string
	max  int64
	keep int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenRotating opens or creates path for appending, creating its directory.
func OpenRotating(path string, max int64, keep int) (*RotatingFile, error) {
	if max <= 0 || keep < 0 {
		return nil, fmt.Errorf("log file %s: max %d and keep %d must be positive", path, max, keep)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	r := &RotatingFile{path: path, max: max, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would not fit. A single write
// larger than max goes alone into a fresh file rather than being split, so
// a log record is never cut in two.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts path.i to path.i+1, dropping the oldest, and starts a new
// file. With keep 0 the current file is simply truncated.
func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("log rotate: %w", err)
	}
	r.f = nil
	if r.keep == 0 {
		if err := os.Truncate(r.path, 0); err != nil {
			return fmt.Errorf("log rotate: %w", err)
		}
		return r.open()
	}
	for i := r.keep - 1; i >= 1; i-- {
		err := os.Rename(r.old(i), r.old(i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("log rotate: %w", err)
		}
	}
	if err := os.Rename(r.path, r.old(1)); err != nil {
		return fmt.Errorf("log rotate: %w", err)
	}
	return r.open()
}

func (r *RotatingFile) old(i int) string { return fmt.Sprintf("%s.%d", r.path, i) }

// Close closes the file; later writes fail with os.ErrClosed.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
