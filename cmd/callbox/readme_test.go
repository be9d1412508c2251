package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadme_CommandsWork runs every `callbox ...` command the README
// shows, in its order, against a data directory made by a real demo box,
// so that the installer's quick start does not rot.
func TestReadme_CommandsWork(t *testing.T) {
	needBinary(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	data := shortDir(t)
	cmd := exec.Command(binary, "run", "--demo", "--data", data, "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0")
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
			t.Fatal("the demo box did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}

	files := shortDir(t)
	found := regexp.MustCompile("`callbox ([^`]+)`").FindAllSubmatch(readme, -1)
	if len(found) < 4 {
		t.Fatalf("the README shows only %d callbox commands", len(found))
	}
	for _, m := range found {
		args := strings.Fields(string(m[1]))
		for i, a := range args {
			switch {
			case a == "/var/lib/callbox":
				args[i] = data
			case strings.HasSuffix(a, ".bak"):
				args[i] = filepath.Join(files, a)
			}
		}
		if args[0] != "run" && !slices.Contains(args, "--data") {
			args = append(args, "--data", data)
		}
		if code, out := callbox(t, args...); code != 0 {
			t.Errorf("callbox %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
}
