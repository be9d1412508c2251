package firmware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"callbox/firmware/store"
)

// A restore from the web UI replaces the whole configuration, so the box
// restarts around it: the uploaded file is staged in the data directory,
// the appliance stops every service and closes the store as on shutdown,
// and the next start puts the staged file in place before it opens the
// store. Staging first means a power cut at any moment leaves either the
// old store or the restored one, never half of each: store.Restore
// itself swaps the file atomically, and a staged file still there at boot
// is applied then.

// errRestart is what Appliance.Run returns when a restart was asked for;
// Run (the package function) starts the appliance again.
var errRestart = errors.New("firmware: restart requested")

const (
	pendingRestore = "restore.pending"
	failedRestore  = "restore.failed"
)

// PendingRestorePath is where a restore waits for the next start.
func PendingRestorePath(dataDir string) string { return filepath.Join(dataDir, pendingRestore) }

// stageRestore copies the backup at path into the data directory (the
// web server deletes its upload when this returns) and asks the
// appliance to restart, which applies it.
func (a *Appliance) stageRestore(_ context.Context, path string) error {
	if err := copyFileSynced(path, PendingRestorePath(a.cfg.DataDir)); err != nil {
		return fmt.Errorf("restore: staging the upload: %w", err)
	}
	a.log.Warn("restore staged; restarting to apply it")
	a.requestRestart()
	return nil
}

// requestRestart makes Run stop the services and return errRestart. A
// second request while one is pending is the same request.
func (a *Appliance) requestRestart() {
	select {
	case a.restart <- struct{}{}:
	default:
	}
}

// applyPendingRestore puts a staged restore in place of the store before
// it is opened. A file the store refuses (store.Restore checks it again)
// is kept as restore.failed for a technician and the current store stays
// as it was.
func applyPendingRestore(dataDir string, log *slog.Logger) {
	path := PendingRestorePath(dataDir)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		log.Error("restore: staged file unreadable", "path", path, "err", err)
		return
	}
	err = store.Restore(StorePath(dataDir), f)
	f.Close()
	if err != nil {
		log.Error("restore refused; the configuration is unchanged", "err", err)
		if rerr := os.Rename(path, filepath.Join(dataDir, failedRestore)); rerr != nil {
			log.Error("restore: cannot set the refused file aside", "err", rerr)
		}
		return
	}
	if err := os.Remove(path); err != nil {
		log.Error("restore: staged file left behind", "err", err)
	}
	log.Warn("restore applied")
}

// copyFileSynced copies src to dst whole (see writeFileSynced).
func copyFileSynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFileSynced(dst, in)
}

// writeFileSynced writes r to dst through a temporary file in dst's
// directory that is synced and renamed, so dst is whole or absent: a
// power cut leaves the old file or the new one.
func writeFileSynced(dst string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".staging-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
