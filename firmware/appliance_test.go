package firmware

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/webui"
)

// dataDir returns a short temporary directory: the console socket inside
// it must fit the 108-byte limit of unix socket paths.
func dataDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "cbfw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func testConfig(t *testing.T, dir string, out io.Writer) Config {
	return Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Version: "test",
		Stdout: out, GPIODevDir: t.TempDir(), DAHDIDir: t.TempDir(), Backoff: Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond, Stable: time.Hour},
	}
}

// settle waits (bounded) until cond holds.
func settle(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAppliance_RunsAndStopsWithoutLeakingGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
	dir := dataDir(t)
	var out bytes.Buffer
	cfg := testConfig(t, dir, &out)
	cfg.Demo = true
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	settle(t, "healthz", func() bool {
		if a.WebAddr() == "" {
			return false
		}
		resp, err := client.Get("http://" + a.WebAddr() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	st := a.Status()
	if st.Store.Counts["extensions"] != 5 || st.Store.Counts["lines"] != 6 {
		t.Fatalf("status: %+v", st)
	}
	var names []string
	for _, s := range st.Services {
		names = append(names, s.Name)
	}
	// The switch's parts start after the console and before the web UI,
	// in the order they depend on each other.
	want := []string{"gpio", "panel", "console", "media", "cdr", "agentlog", "dialplan", "sip", "b2bua", "trunks", "prompts", "ivr",
		"voicemail", "prompt-files", "switch", "lines", "queue", "midnight", "directory", "cti", "messaging", "retention", "web"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("services %q, want %q", names, want)
	}
	if tel := st.Telephony; tel == nil || len(tel.Lines) != 4 || len(tel.Listeners) != 3 || tel.Lines[0].ID != "line1" ||
		tel.Lines[0].State != "idle" || !tel.Lines[0].Simulated || tel.Lines[0].Address == "" {
		t.Fatalf("telephony: %+v", st.Telephony)
	}
	if hw := st.Hardware[0]; !hw.Simulated || !strings.Contains(hw.Detail, "led status=heartbeat") {
		t.Fatalf("hardware: %+v", hw)
	}
	// A live backup goes through the console socket while the box holds the lock.
	bak := filepath.Join(t.TempDir(), "live.bak")
	if n, live, err := Backup(dir, bak); err != nil || !live || n == 0 {
		t.Fatalf("live backup: %d %v %v", n, live, err)
	}
	if err := Restore(dir, bak); !errors.Is(err, ErrRunning) {
		t.Fatalf("restore while running: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(StopTimeout):
		t.Fatal("Run did not return within StopTimeout")
	}
	settle(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= baseline })

	// The password printed once opens the admin account, which must change it.
	m := regexp.MustCompile(`user admin is (\S+) `).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no one-time password printed: %q", out.String())
	}
	s, err := store.Open(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := store.Get[store.User](s, "admin")
	if err != nil || !u.CheckPassword(m[1]) || !u.OneTimePassword || u.Role != store.RoleAdmin {
		t.Fatalf("admin: %+v %v", u, err)
	}
	if logged, _ := os.ReadFile(LogPath(dir)); !bytes.Contains(logged, []byte(`msg="callbox stopped"`)) {
		t.Fatalf("log file lacks the stop:\n%s", logged)
	}
}

func TestAppliance_CrashingServiceShowsFaultAndBoxStaysUp(t *testing.T) {
	dir := dataDir(t)
	a, err := New(context.Background(), testConfig(t, dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	a.services = append(a.services, funcService{name: "sip", run: func(ctx context.Context) error {
		return errors.New("bind: address already in use")
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	settle(t, "restarts", func() bool {
		for _, s := range a.Status().Services {
			if s.Name == "sip" && s.Restarts >= 3 {
				return true
			}
		}
		return false
	})
	st := a.Status()
	if ok, failing := st.Healthy(); ok || len(failing) == 0 {
		t.Fatalf("health: %v %v", ok, failing)
	}
	settle(t, "fault LED", func() bool { return strings.Contains(a.gpioStatus().Detail, "led status=fast-blink") })
	for _, s := range st.Services {
		if s.Name == "web" && s.State != webui.StateRunning {
			t.Fatalf("web should keep running: %+v", s)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestAppliance_DemoSeedsOnlyAnEmptyStore(t *testing.T) {
	dir := dataDir(t)
	for i, wantPrinted := range []bool{true, false} {
		var out bytes.Buffer
		cfg := testConfig(t, dir, &out)
		cfg.Demo = true
		a, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		counts := a.Status().Store.Counts
		a.close(true)
		printed := strings.Contains(out.String(), "one-time password") && strings.Contains(out.String(), "Demo extension 205")
		if printed != wantPrinted {
			t.Fatalf("run %d: printed=%v: %q", i, printed, out.String())
		}
		if counts["users"] != 1 || counts["queues"] != 2 || counts["flows"] != 1 || counts["agents"] != 3 ||
			counts["extensions"] != 5 || counts["hours"] != 1 || counts["lines"] != 6 {
			t.Fatalf("run %d counts %v", i, counts)
		}
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestNew_RefusesCorruptStoreAndLeavesItAlone(t *testing.T) {
	dir := dataDir(t)
	path := StorePath(dir)
	os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	before := fileHash(t, path)
	_, err := New(context.Background(), testConfig(t, dir, nil))
	if !errors.Is(err, store.ErrCorrupt) || !errors.Is(err, ErrStoreOpen) {
		t.Fatalf("got %v", err)
	}
	if msg := Explain(i18n.EN, err); !strings.Contains(msg, "left untouched") {
		t.Fatalf("message %q", msg)
	}
	if fileHash(t, path) != before {
		t.Fatal("the corrupt file was modified")
	}
}

func TestNew_RefusesUnusableDataDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	os.WriteFile(file, nil, 0o600)
	_, err := New(context.Background(), testConfig(t, file, nil))
	if !errors.Is(err, ErrDataDir) || !strings.Contains(Explain(i18n.EN, err), "cannot use the data directory") {
		t.Fatalf("got %v", err)
	}
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		if _, err := New(context.Background(), testConfig(t, ro, nil)); !errors.Is(err, ErrDataDir) {
			t.Fatalf("read-only dir: %v", err)
		}
	}
}

func TestBackupRestore_OfflineRoundTripAndTruncatedRefused(t *testing.T) {
	dir := dataDir(t)
	cfg := testConfig(t, dir, nil)
	cfg.Demo = true
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.close(true)
	bak := filepath.Join(t.TempDir(), "site.bak")
	n, live, err := Backup(dir, bak)
	if err != nil || live || n == 0 {
		t.Fatalf("offline backup: %d %v %v", n, live, err)
	}
	before := fileHash(t, StorePath(dir))
	whole, _ := os.ReadFile(bak)
	cut := filepath.Join(t.TempDir(), "cut.bak")
	os.WriteFile(cut, whole[:len(whole)/2], 0o600)
	if err := Restore(dir, cut); !errors.Is(err, store.ErrBadBackup) {
		t.Fatalf("truncated restore: %v", err)
	}
	if fileHash(t, StorePath(dir)) != before {
		t.Fatal("a refused restore changed the store")
	}
	if err := Restore(dir, bak); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, _, err := Backup(filepath.Join(dir, "nothing-here"), filepath.Join(t.TempDir(), "x.bak")); err == nil {
		t.Fatal("backup of a missing store succeeded")
	}
}

func TestResetAdminPassword_PrefersAdminAndReenables(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	name, pw, err := ResetAdminPassword(s, time.Now)
	if err != nil || name != AdminUser {
		t.Fatalf("create: %s %v", name, err)
	}
	u, _ := store.Get[store.User](s, AdminUser)
	u.Disabled, u.OneTimePassword = true, false
	store.Put(s, u)
	_, pw2, err := ResetAdminPassword(s, time.Now)
	if err != nil || pw2 == pw {
		t.Fatalf("second reset: %v (same password: %v)", err, pw2 == pw)
	}
	u, _ = store.Get[store.User](s, AdminUser)
	if u.Disabled || !u.OneTimePassword || u.CheckPassword(pw) || !u.CheckPassword(pw2) {
		t.Fatalf("after reset: %+v", u)
	}
	if n, _ := s.Counts(); n[store.KindUser] != 1 {
		t.Fatalf("users: %v", n)
	}
}

func TestValidateAddr(t *testing.T) {
	good := []string{":80", "127.0.0.1:8080", "[::1]:5060", "localhost:0", "box.example.org:443"}
	bad := []string{"", "80", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:65536", "1.2.3.4:-1", "bad host:80", "-x:80", "[::1:5060"}
	for _, a := range good {
		if err := ValidateAddr(a); err != nil {
			t.Errorf("%q: %v", a, err)
		}
	}
	for _, a := range bad {
		if err := ValidateAddr(a); !errors.Is(err, ErrBadAddr) {
			t.Errorf("%q accepted (%v)", a, err)
		}
	}
}

func FuzzValidateAddr(f *testing.F) {
	for _, s := range []string{":80", "[::1]:5060", "a.b:1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = ValidateAddr(s)
	})
}

func TestAppliance_FirstStartWithoutDemoStillHasNoOpenAdmin(t *testing.T) {
	dir := dataDir(t)
	var out bytes.Buffer
	a, err := New(context.Background(), testConfig(t, dir, &out))
	if err != nil {
		t.Fatal(err)
	}
	counts := a.Status().Store.Counts
	a.close(true)
	if !strings.Contains(out.String(), "one-time password of user admin") || counts["users"] != 1 || counts["extensions"] != 0 {
		t.Fatalf("first start: %q %v", out.String(), counts)
	}
	out.Reset()
	a, err = New(context.Background(), testConfig(t, dir, &out))
	if err != nil {
		t.Fatal(err)
	}
	a.close(true)
	if out.Len() != 0 {
		t.Fatalf("second start printed %q", out.String())
	}
}
