package firmware

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestValidateDebugAddr_OnlyLoopback(t *testing.T) {
	for _, ok := range []string{"", "127.0.0.1:6060", "127.9.9.9:0", "[::1]:6060"} {
		if err := ValidateDebugAddr(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:6060", "192.168.1.10:6060", "[::]:6060", "localhost:6060", "127.0.0.1"} {
		if err := ValidateDebugAddr(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := ValidateDebugAddr("10.0.0.1:1"); !errors.Is(err, ErrDebugNotLoopback) {
		t.Errorf("want ErrDebugNotLoopback, got %v", err)
	}
	cfg := testConfig(t, t.TempDir(), io.Discard)
	cfg.DebugAddr = "0.0.0.0:6060"
	if err := cfg.Validate(); !errors.Is(err, ErrDebugNotLoopback) {
		t.Errorf("Config.Validate: %v", err)
	}
}

func TestAppliance_DebugListenerServesProfilesAndStats(t *testing.T) {
	cfg := testConfig(t, dataDir(t), io.Discard)
	cfg.DebugAddr = "127.0.0.1:0"
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	settle(t, "debug listener", func() bool { return a.DebugAddr() != "" })
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (int, string) {
		resp, err := client.Get("http://" + a.DebugAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/debug/stats")
	var st RuntimeStats
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Goroutines < 5 || st.HeapAlloc == 0 || st.OpenFiles < 3 {
		t.Fatalf("stats %d %s", code, body)
	}
	// At idle: no call, leg, session or relay socket, and the memory
	// classes read from runtime/metrics.
	if st.Calls != 0 || st.SIPLegs != 0 || st.RTPSessions != 0 || st.RelaySockets != 0 {
		t.Errorf("idle box reports calls %d, legs %d, RTP sessions %d, relay sockets %d: %s",
			st.Calls, st.SIPLegs, st.RTPSessions, st.RelaySockets, body)
	}
	if st.HeapObjects == 0 || st.Total < st.HeapObjects || st.OSStacks+st.HeapStacks == 0 || st.MetadataOther == 0 {
		t.Errorf("memory classes %+v", st.MemoryClasses)
	}
	for _, field := range []string{`"callsActive":`, `"sipLegs":`, `"rtpSessions":`, `"relaySockets":`, `"relaySendDropped":`, `"relayForwarded":`, `"memHeapReleased":`,
		`"memHeapFree":`, `"memOSStacks":`, `"memHeapStacks":`, `"memHeapObjects":`, `"memMetadataOther":`, `"memTotal":`} {
		if !strings.Contains(body, field) {
			t.Errorf("stats lack %s (the soak harness reads it): %s", field, body)
		}
	}
	if code, body := get("/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Fatalf("goroutine profile %d %.200s", code, body)
	}
	if code, _ := get("/debug/pprof/heap"); code != http.StatusOK {
		t.Fatalf("heap profile %d", code)
	}
	// free-memory answers with the stats after handing free pages back;
	// a GET (a browser, a prefetch) does not run it.
	if code, _ := get("/debug/free-memory"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /debug/free-memory: %d, want 405", code)
	}
	resp, err := client.Post("http://"+a.DebugAddr()+"/debug/free-memory", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var freed RuntimeStats
	err = json.NewDecoder(resp.Body).Decode(&freed)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || freed.NumGC <= st.NumGC || freed.HeapReleased == 0 {
		t.Errorf("POST /debug/free-memory: %d %v, GCs %d (before %d), released %d", resp.StatusCode, err, freed.NumGC, st.NumGC, freed.HeapReleased)
	}
	// The service shows in the status like every other.
	found := false
	for _, s := range a.Status().Services {
		found = found || s.Name == "debug"
	}
	if !found {
		t.Fatal("debug service not in the status")
	}
}
