package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"callbox/firmware/i18n"
	"callbox/webui"
)

// fakeBackend is a Backend built from fixed answers.
type fakeBackend struct {
	mu     sync.Mutex
	resets int
	status webui.Status
}

func (f *fakeBackend) Status(context.Context) (webui.Status, error) { return f.status, nil }

func (f *fakeBackend) ResetAdminPassword(context.Context) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets++
	return "admin", "Fresh-Secret-42", nil
}

func (f *fakeBackend) Backup(_ context.Context, w io.Writer) (int64, error) {
	n, err := io.WriteString(w, "SNAPSHOT-BYTES\x00\x01")
	return int64(n), err
}

func serve(t *testing.T, sh *Shell, input string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := sh.Serve(context.Background(), strings.NewReader(input), &out)
	return out.String(), err
}

func TestShell_AnswersCommandsInBothLanguages(t *testing.T) {
	sh := NewShell(&fakeBackend{}, "1.2.3", i18n.EN)
	out, err := serve(t, sh, "version\nhelp\n\nlang zh\nversion\nfrobnicate\nlang fr\nquit\nversion\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"callbox 1.2.3 technician console",
		"reset-admin-password",
		"语言：中文",
		`未知命令 "frobnicate"`,
		"用法：lang zh|en",
		"再见。",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "callbox 1.2.3\n") != 2 {
		t.Errorf("version should answer twice and nothing after quit:\n%s", out)
	}
}

func TestShell_ResetNeedsYesAndShowsPasswordOnce(t *testing.T) {
	b := &fakeBackend{}
	sh := NewShell(b, "1", i18n.EN)
	out, err := serve(t, sh, "reset-admin-password\nno\nreset-admin-password\nYES\nquit\n")
	if err != nil {
		t.Fatal(err)
	}
	if b.resets != 1 || strings.Count(out, "Fresh-Secret-42") != 1 || !strings.Contains(out, "Cancelled") {
		t.Fatalf("resets=%d output:\n%s", b.resets, out)
	}
}

func TestShell_EndOfInputAndOverlongLines(t *testing.T) {
	sh := NewShell(&fakeBackend{}, "1", i18n.EN)
	if _, err := serve(t, sh, "version\n"); !errors.Is(err, io.EOF) {
		t.Fatalf("end of input: %v", err)
	}
	out, err := serve(t, sh, strings.Repeat("x", maxLine+10)+"\nversion\n")
	if err == nil || !strings.Contains(out, "Line too long") {
		t.Fatalf("overlong line: %v\n%s", err, out)
	}
}

func TestShell_BackupOnlyWhereAllowed(t *testing.T) {
	sh := NewShell(&fakeBackend{}, "1", i18n.EN)
	out, _ := serve(t, sh, BackupCommand+"\n")
	if strings.Contains(out, "SNAPSHOT") {
		t.Fatal("backup served on a shell that does not allow it")
	}
	sh.AllowBackup = true
	out, err := serve(t, sh, BackupCommand+"\n")
	if err != nil || !strings.HasSuffix(out, "callbox> OK\nSNAPSHOT-BYTES\x00\x01") {
		t.Fatalf("%v %q", err, out)
	}
}

func TestFormatStatus_ShowsServicesAndHardware(t *testing.T) {
	st := webui.Status{
		Version: "v9", StartedAt: time.Unix(0, 0), Uptime: 90 * time.Second,
		Store:    webui.StoreStatus{Path: "/d/callbox.db", SizeBytes: 2048, SchemaVersion: 2, Counts: map[string]int{"users": 1, "agents": 2}},
		Hardware: []webui.Hardware{{Kind: "gpio", Name: "front", Simulated: true, Detail: "led status=heartbeat"}},
		Services: []webui.ServiceState{{Name: "web", State: "restarting", Restarts: 2, LastError: "listen: busy\nstack"}},
	}
	out := FormatStatus(i18n.EN, st)
	for _, want := range []string{"Uptime:    1m30s", "2.0 KiB, schema 2", "agents 2, users 1", "gpio front (simulated) led status=heartbeat", "restarts 2", "last error: listen: busy\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "stack") {
		t.Error("only the first line of an error belongs on the console")
	}
	if zh := FormatStatus(i18n.ZH, st); !strings.Contains(zh, "重启中") || !strings.Contains(zh, "重启 2 次") {
		t.Errorf("Chinese status:\n%s", zh)
	}
	if !strings.Contains(FormatStatus(i18n.ZH, webui.Status{}), "未运行") {
		t.Error("a stopped box should say so")
	}
}

func shortTempDir(t *testing.T) string {
	t.Helper()
	// Unix socket paths are limited to 108 bytes; t.TempDir can be longer.
	d, err := os.MkdirTemp("", "cbcon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestSocketServer_ServesSessionsBackupAndStops(t *testing.T) {
	path := filepath.Join(shortTempDir(t), "console.sock")
	sh := NewShell(&fakeBackend{}, "7.7", i18n.EN)
	sh.AllowBackup = true
	srv := NewSocketServer(path, sh, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	var c *net.UnixConn
	var err error
	for range 500 {
		if c, err = Dial(path); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Attach(c, strings.NewReader("version\nquit\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "callbox 7.7\n") || !strings.Contains(out.String(), "Bye.") {
		t.Fatalf("session:\n%s", out.String())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v", fi.Mode())
	}

	c2, _ := Dial(path)
	var snap bytes.Buffer
	if n, err := FetchBackup(c2, &snap); err != nil || n != 16 || snap.String() != "SNAPSHOT-BYTES\x00\x01" {
		t.Fatalf("backup: %d %v %q", n, err, snap.String())
	}

	// A session left open is closed by the stop.
	idle, _ := Dial(path)
	defer idle.Close()
	if err := NewSocketServer(path, sh, nil).Run(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("second server: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(path); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("dial after stop: %v", err)
	}
}

func TestSocketServer_ReplacesStaleSocketButNotOtherFiles(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // as a crashed box leaves it
	srv := NewSocketServer(path, NewShell(&fakeBackend{}, "1", i18n.EN), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var c *net.UnixConn
	for range 500 {
		if c, err = Dial(path); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	c.Close()
	cancel()
	<-done

	regular := filepath.Join(dir, "file.sock")
	os.WriteFile(regular, []byte("keep"), 0o600)
	if err := NewSocketServer(regular, nil, nil).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
}

func TestTTY_ServesOnPseudoTerminal(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	tty := NewTTY(slave.Name(), NewShell(&fakeBackend{}, "tty-1", i18n.EN), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tty.Run(ctx) }()

	// A terminal sends carriage returns; the line discipline makes them
	// newlines and echoes what was typed.
	if _, err := master.Write([]byte("version\r")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 512)
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !bytes.Contains(got, []byte("callbox tty-1\r\n")) {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read: %v; got %q", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Contains(got, []byte("version\r\n")) {
		t.Errorf("typed text not echoed: %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestTTY_RefusesWhatIsNotATerminal(t *testing.T) {
	err := NewTTY(os.DevNull, NewShell(&fakeBackend{}, "1", i18n.EN), nil).Run(context.Background())
	if err == nil {
		t.Fatal("/dev/null accepted as a terminal")
	}
	if err := NewTTY("/nonexistent/ttyS9", nil, nil).Run(context.Background()); err == nil {
		t.Fatal("missing device accepted")
	}
}

func FuzzShell(f *testing.F) {
	for _, s := range []string{"help\n", "lang zh\nstatus\n", "reset-admin-password\nyes\n", "\x00\xff\n", BackupCommand + "\n", "quit\n"} {
		f.Add(s)
	}
	sh := NewShell(&fakeBackend{}, "f", i18n.EN)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		err := sh.Serve(context.Background(), strings.NewReader(in), &out)
		if err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "too long") {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
