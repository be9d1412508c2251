package record

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"callbox/media/wav"
)

// Recover fixes the headers of recordings in dir (and below) that a crash
// left unfinished, so each plays up to its last flushed second. Run it at
// start, before any Recorder writes to dir. It returns the files it
// changed; files that are not WAVE files at all are logged and skipped.
func Recover(dir string, log *slog.Logger) ([]string, error) {
	if log == nil {
		log = slog.Default()
	}
	var fixed []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".wav") {
			return nil
		}
		_, changed, err := wav.Repair(path)
		switch {
		case errors.Is(err, wav.ErrNotWAV) || errors.Is(err, wav.ErrTruncated) || errors.Is(err, wav.ErrUnsupported):
			log.Warn("recording not repairable", "path", path, "err", err)
			return nil
		case err != nil:
			return err
		case changed:
			log.Info("recording header repaired", "path", path)
			fixed = append(fixed, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fixed, fmt.Errorf("record: recover %s: %w", dir, err)
	}
	return fixed, nil
}
