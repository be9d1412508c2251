package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the callbox built once for these tests, with a stamped version.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzz worker runs only the fuzz target, which needs no
		// binary, and is killed when fuzzing ends, before it could
		// remove one: each `make test` left a 38 MB build per worker
		// in the temporary directory.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "cbe2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "callbox")
	out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=e2e-1.2.3", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		binary = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary skips when the binary could not be built, unless
// CALLBOX_REQUIRE_E2E=1 (make test sets it) makes that a failure.
func needBinary(t *testing.T) {
	t.Helper()
	if binary != "" {
		return
	}
	if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
		t.Fatal("the callbox binary could not be built")
	}
	t.Skip("the callbox binary could not be built")
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "cbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// callbox runs the binary to completion and returns its exit code and output.
func callbox(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func hash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestCallbox_ServesSetupPageAndStopsOnSIGTERM(t *testing.T) {
	needBinary(t)
	data := shortDir(t)
	web := "127.0.0.1:" + strconv.Itoa(freePort(t))
	var stdout, stderr lockedBuffer
	cmd := exec.Command(binary, "run", "--demo", "--data", data, "--http", web, "--sip", "127.0.0.1:"+strconv.Itoa(freePort(t)))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + web + "/setup")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("setup page did not answer within 30 s: %v\nstderr:\n%s", err, stderr.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("callbox exited early: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	resp, err := client.Get("http://" + web + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status string `json:"status"`
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health.Status != "ok" {
		t.Fatalf("healthz: %d %+v", resp.StatusCode, health)
	}
	if !strings.Contains(stdout.String(), "one-time password of user admin") {
		t.Fatalf("no one-time password on stdout: %q", stdout.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("callbox did not exit within 5 s of SIGTERM\nstderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `msg="callbox stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", stderr.String())
	}
}

func TestCallbox_VersionIsStampedAtBuild(t *testing.T) {
	needBinary(t)
	if code, out := callbox(t, "version"); code != 0 || out != "callbox e2e-1.2.3\n" {
		t.Fatalf("%d %q", code, out)
	}
}

func TestCallbox_RefusesBadInput(t *testing.T) {
	needBinary(t)
	t.Run("wrong flags exit 2", func(t *testing.T) {
		for _, args := range [][]string{{"run", "--no-such-flag"}, {"run", "--http", "localhost"}, {"explode"}, {"run", "--sip", "1.2.3.4:70000"}} {
			if code, out := callbox(t, args...); code != 2 || !strings.Contains(out, "callbox") {
				t.Errorf("%v: exit %d\n%s", args, code, out)
			}
		}
	})
	t.Run("unusable data dir", func(t *testing.T) {
		file := filepath.Join(shortDir(t), "not-a-dir")
		os.WriteFile(file, []byte("x"), 0o600)
		code, out := callbox(t, "run", "--data", file, "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0")
		if code != 1 || !strings.Contains(out, "cannot use the data directory") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("corrupt store left untouched", func(t *testing.T) {
		data := shortDir(t)
		db := filepath.Join(data, "callbox.db")
		os.WriteFile(db, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 8192), 0o600)
		before := hash(t, db)
		code, out := callbox(t, "run", "--data", data, "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0")
		if code != 1 || !strings.Contains(out, "damaged or is not a callbox store") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if hash(t, db) != before {
			t.Fatal("the corrupt store was modified")
		}
	})
	t.Run("truncated backup refused", func(t *testing.T) {
		data := shortDir(t)
		// Make a real backup of a running demo box, then stop it.
		web := "127.0.0.1:" + strconv.Itoa(freePort(t))
		cmd := exec.Command(binary, "run", "--demo", "--data", data, "--http", web, "--sip", "127.0.0.1:0")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if c, err := net.Dial("unix", filepath.Join(data, "console.sock")); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("box did not start")
			}
			time.Sleep(50 * time.Millisecond)
		}
		bak := filepath.Join(shortDir(t), "site.bak")
		if code, out := callbox(t, "backup", "--data", data, "--out", bak); code != 0 || !strings.Contains(out, "running box") {
			t.Fatalf("live backup: %d %s", code, out)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(data, "callbox.db")
		before := hash(t, db)
		whole, _ := os.ReadFile(bak)
		cut := filepath.Join(shortDir(t), "cut.bak")
		os.WriteFile(cut, whole[:len(whole)*2/3], 0o600)
		code, out := callbox(t, "restore", "--data", data, "--in", cut)
		if code != 1 || !strings.Contains(out, "backup was refused") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if hash(t, db) != before {
			t.Fatal("a refused restore changed the store")
		}
		if code, out := callbox(t, "check", "--data", data); code != 0 {
			t.Fatalf("check after refused restore: %d %s", code, out)
		}
	})
}
