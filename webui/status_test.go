package webui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestHealthz_OKWhenAllRunningElse503WithFailing(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	r := b.get("/healthz")
	wantStatus(t, r, http.StatusOK)
	h := decode[healthBody](t, r)
	if h.Status != "ok" || len(h.Failing) != 0 || len(h.Services) != 2 {
		t.Fatalf("healthz = %+v", h)
	}
	f.setStatus(func(s *Status) {
		s.Services = append(s.Services,
			ServiceState{Name: "sip", State: StateRestarting, Restarts: 3, LastError: "bind: address in use"},
			ServiceState{Name: "acd", State: StateFailed})
	})
	r = b.get("/healthz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	h = decode[healthBody](t, r)
	if h.Status != "failing" || strings.Join(h.Failing, ",") != "sip,acd" {
		t.Fatalf("healthz = %+v", h)
	}
}

func TestStatus_SameDataAsJSONAndHTML(t *testing.T) {
	f, b := adminBrowser(t)
	f.setStatus(func(s *Status) {
		s.StartedAt = f.clock.Now().Add(-90*time.Minute - 5*time.Second)
		s.Services = append(s.Services, ServiceState{Name: "sip", State: StateFailed, Restarts: 2, LastError: "bind failed"})
	})
	r := b.get("/api/v1/status")
	wantStatus(t, r, http.StatusOK)
	type statusJSON struct {
		Version       string  `json:"version"`
		UptimeSeconds float64 `json:"uptime_seconds"`
		Store         StoreStatus
		Hardware      []Hardware
		Services      []ServiceState
	}
	got := decode[statusJSON](t, r)
	if got.Version != "v1.2.3-test" || got.UptimeSeconds != 5405 || got.Store.Counts["users"] != 1 ||
		got.Store.SizeBytes <= 0 || got.Store.SchemaVersion < 1 || !strings.HasSuffix(got.Store.Path, "callbox.db") {
		t.Fatalf("status JSON = %+v", got)
	}
	if len(got.Hardware) != 2 || !got.Hardware[0].Simulated || len(got.Services) != 3 || got.Services[2].LastError != "bind failed" {
		t.Fatalf("status JSON = %+v", got)
	}

	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		b.post("/lang", map[string][]string{"lang": {string(lang)}, "next": {"/status"}})
		r = b.get("/status")
		wantStatus(t, r, http.StatusOK)
		for _, want := range []string{
			"v1.2.3-test", "gpiochip0", "bind failed", "callbox.db",
			msg(lang, "web.status.unhealthy"), msg(lang, "web.status.simulated"), msg(lang, "web.state.failed"),
			msg(lang, "web.kind.users"), msg(lang, "web.duration.hms", 1, 30, 5),
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s status page lacks %q", lang, want)
			}
		}
	}
}

func TestStatus_DefaultsToServerViewWithoutFirmware(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	srv, err := New(Config{Store: f.st, Version: "dev", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	st := srv.status()
	if st.Version != "dev" || st.Uptime != time.Minute || st.Store.Counts[string(store.KindUser)] != 1 {
		t.Fatalf("status = %+v", st)
	}
	if ok, failing := st.Healthy(); !ok || failing != nil {
		t.Fatal("no services should be healthy")
	}
}

func TestNew_RefusesMissingStore(t *testing.T) {
	if _, err := New(Config{Addr: "127.0.0.1:0"}); !errors.Is(err, ErrNoStore) {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_ServesOnConfiguredAddressAndStopsCleanly(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx) }()
	var addr string
	for i := 0; i < 500 && addr == ""; i++ {
		select {
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		addr = f.srv.Addr()
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %q", addr)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz over TCP: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after stop")
	}
}

func TestRun_RefusesEmptyAddress(t *testing.T) {
	f := newFixture(t)
	srv, err := New(Config{Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(t.Context()); !errors.Is(err, ErrNoAddr) {
		t.Fatalf("err = %v", err)
	}
}

func TestStatus_UptimeInJSONIsSeconds(t *testing.T) {
	b, err := Status{Uptime: 1500 * time.Millisecond}.MarshalJSON()
	if err != nil || !strings.Contains(string(b), `"uptime_seconds":1.5`) || strings.Contains(string(b), "Uptime") {
		t.Fatalf("%s %v", b, err)
	}
}
