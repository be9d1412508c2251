package firmware

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callbox/firmware/store"
	"callbox/webui"
)

func TestAppliance_RestoreFromTheWebRestartsIntoTheBackup(t *testing.T) {
	dir := dataDir(t)
	var out bytes.Buffer
	cfg := testConfig(t, dir, &out)
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kept := store.Extension{Number: "201", Secret: "Gr8-phone-secret"}
	if _, err := store.Put(a.store, kept); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.Backup(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := store.Put(a.store, store.Extension{Number: "202", Secret: "Gr8-phone-secret"}); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	settle(t, "web UI", func() bool { return a.WebAddr() != "" })
	if err := a.stageRestore(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	// The web server deletes its upload once the handler returns.
	os.Remove(backup)
	select {
	case err := <-done:
		if !errors.Is(err, errRestart) {
			t.Fatalf("Run = %v, want errRestart", err)
		}
	case <-time.After(StopTimeout + 5*time.Second):
		t.Fatal("Run did not stop for the restart")
	}

	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close(true)
	if _, err := store.Get[store.Extension](b.store, "201"); err != nil {
		t.Fatalf("extension of the backup: %v", err)
	}
	if _, err := store.Get[store.Extension](b.store, "202"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("extension made after the backup: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(PendingRestorePath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staged file left behind: %v", err)
	}
}

func TestApplyPendingRestore_RefusedFileLeavesTheStoreAsItWas(t *testing.T) {
	dir := dataDir(t)
	var out bytes.Buffer
	cfg := testConfig(t, dir, &out)
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(a.store, store.Extension{Number: "201", Secret: "Gr8-phone-secret"}); err != nil {
		t.Fatal(err)
	}
	a.close(true)
	before, err := os.ReadFile(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(PendingRestorePath(dir), []byte("not a store at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	applyPendingRestore(dir, quietLogger())
	after, err := os.ReadFile(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the store")
	}
	if _, err := os.Stat(filepath.Join(dir, failedRestore)); err != nil {
		t.Fatalf("refused file not set aside: %v", err)
	}
}

func TestSIPSettings_SavedByTheWizardApplyUnlessTheCommandLineSaysOtherwise(t *testing.T) {
	dir := t.TempDir()
	if s, err := loadSIPSettings(dir); err != nil || s != (webui.SIPSettings{}) {
		t.Fatalf("nothing saved: %+v, %v", s, err)
	}
	for _, bad := range []webui.SIPSettings{{Port: 70000}, {Port: 5080, TLSPort: 5080}, {Domain: "bad domain!"}} {
		if err := saveSIPSettings(dir, bad); !errors.Is(err, ErrSIPSettings) {
			t.Errorf("save %+v = %v, want ErrSIPSettings", bad, err)
		}
	}
	want := webui.SIPSettings{Domain: "pbx.example.cn", Port: 5080, TLSPort: 5091}
	if err := saveSIPSettings(dir, want); err != nil {
		t.Fatal(err)
	}
	cfg, err := applySIPSettings(Config{DataDir: dir, SIPAddr: ":5060", SIPFromSetup: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIPAddr != ":5080" || cfg.SIPTLSPort != 5091 || cfg.SIPDomain != "pbx.example.cn" {
		t.Fatalf("applied: %+v", cfg)
	}
	cfg, err = applySIPSettings(Config{DataDir: dir, SIPAddr: "127.0.0.1:6060"})
	if err != nil || cfg.SIPAddr != "127.0.0.1:6060" || cfg.SIPTLSPort != 0 {
		t.Fatalf("command line overridden: %+v, %v", cfg, err)
	}
	if err := os.WriteFile(filepath.Join(dir, sipSettingsFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSIPSettings(dir); !errors.Is(err, ErrSIPSettings) {
		t.Fatalf("garbage file: %v, want ErrSIPSettings", err)
	}
}
