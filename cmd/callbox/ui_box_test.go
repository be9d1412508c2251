package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// startFreshBox starts the binary on a blank data directory like
// startBox, and returns the one-time admin password the box prints on
// its console (stdout) when it seeds the administrator.
func startFreshBox(t *testing.T, data string) (*box, string) {
	t.Helper()
	b := &box{data: data, sip: "127.0.0.1:" + strconv.Itoa(freeSIPPort(t)), web: "127.0.0.1:" + strconv.Itoa(freePort(t)),
		simBase: freeUDP(t), stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	var stdout lockedBuffer
	b.cmd = exec.Command(binary, "run", "--data", data, "--http", b.web, "--sip", b.sip,
		"--sim-base-port", strconv.Itoa(b.simBase), "--rtp-ports", "20000-39999")
	b.cmd.Stdout, b.cmd.Stderr = &stdout, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.exited <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if !b.stopped {
			b.stop(t)
		}
		if t.Failed() {
			t.Logf("callbox log (last 4 KiB):\n%s", tail(b.stderr.String(), 4096))
		}
	})
	otp := regexp.MustCompile(`one-time password of user admin is (\S+)`)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if m := otp.FindStringSubmatch(stdout.String()); m != nil {
			if resp, err := client.Get("http://" + b.web + "/healthz"); err == nil {
				var h struct{ Status string }
				_ = json.NewDecoder(resp.Body).Decode(&h)
				resp.Body.Close()
				if h.Status == "ok" {
					return b, m[1]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the box did not become healthy with a one-time password in 30 s\nstdout:\n%s\nstderr:\n%s", stdout.String(), b.stderr.String())
		}
		select {
		case err := <-b.exited:
			b.stopped = true
			t.Fatalf("callbox exited: %v\n%s", err, b.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
