package firmware

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"callbox/webui"
)

// TestAppliance_SetupShowsTheSIPPortGivenOnTheCommandLine: setup saved
// 5070/5071, but the box runs with --sip on another port; the setup page
// (and so the installer) reads the port the box listens on.
func TestAppliance_SetupShowsTheSIPPortGivenOnTheCommandLine(t *testing.T) {
	dir := dataDir(t)
	if err := saveSIPSettings(dir, webui.SIPSettings{Port: 5070, TLSPort: 5071}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dir, io.Discard) // --sip 127.0.0.1:0: SIPFromSetup stays false
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
	settle(t, "web UI", func() bool { return a.WebAddr() != "" && a.tel.srv.Addr("udp").IsValid() })
	udp, tls := a.tel.srv.Addr("udp").Port(), a.tel.srv.Addr("tls").Port()
	live, fixed := a.sipListening()
	if !fixed || live.Port != int(udp) || live.TLSPort != int(tls) {
		t.Fatalf("sipListening = %+v, %v; the box listens on %d and %d (TLS), set by --sip", live, fixed, udp, tls)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get("http://" + a.WebAddr() + "/setup")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `<td id="sipPortLive">`+strconv.Itoa(int(udp))+`</td>`) {
		t.Fatalf("setup page %d does not show the SIP port %d:\n%s", res.StatusCode, udp, body)
	}
	if strings.Contains(string(body), "5070") {
		t.Fatal("setup page shows the saved port the command line overrides")
	}
}
