package webui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/store"
)

// ctiFixture is the web server listening on loopback with a running CTI
// hub and live directory, set up, with an administrator.
type ctiFixture struct {
	*fixture
	bus  *acd.Bus
	hub  *cti.Hub
	live *source.Live
	ctl  *fakeControl
	ags  *fakeAgents
	base string // http://127.0.0.1:port
}

func newCTIFixture(t *testing.T) *ctiFixture {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	cf := &ctiFixture{fixture: f, bus: acd.NewBus(), ctl: &fakeControl{}, ags: &fakeAgents{}}
	cf.live = source.NewLive(f.st, directory.PlanCN, slog.New(slog.DiscardHandler))
	hub, err := cti.New(cti.Config{Store: f.st, Bus: cf.bus, Lookup: cf.live, Control: cf.ctl, Agents: cf.ags,
		PopTimeout: 5 * time.Second, WebhookBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cf.hub = hub
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "test", CTI: hub, Directory: cf.live})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{cf.live.Run, hub.Run, srv.Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := 0; srv.Addr() == "" || len(cf.live.Health()) == 0; i++ {
		if i > 2000 {
			t.Fatal("server or directory did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cf.base = "http://" + srv.Addr()
	return cf
}

// token makes an API token through the admin API and returns it.
func (cf *ctiFixture) token(role store.Role, user string) string {
	cf.t.Helper()
	b := cf.browser()
	b.login("admin", testPassword)
	r := b.json(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "t-" + string(role) + user, "role": role, "user": user})
	if r.StatusCode != http.StatusCreated {
		cf.t.Fatalf("create token: %d %s", r.StatusCode, r.Body)
	}
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || out.Token == "" {
		cf.t.Fatalf("token answer %s: %v", r.Body, err)
	}
	return out.Token
}

// agentUser adds an agent-role user linked to agent id on extension ext.
func (cf *ctiFixture) agentUser(name, id, ext string) {
	cf.t.Helper()
	cf.addUser(name, store.RoleAgent, testPassword, false)
	if _, err := store.Put(cf.st, store.Agent{ID: id, Name: name, User: name, Extension: ext, Enabled: true}); err != nil {
		cf.t.Fatal(err)
	}
}

// call makes a real HTTP request with a bearer token.
func (cf *ctiFixture) call(tok, method, path, ctype string, body []byte) (int, string) {
	cf.t.Helper()
	req, err := http.NewRequest(method, cf.base+path, bytes.NewReader(body))
	if err != nil {
		cf.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cf.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func (cf *ctiFixture) callJSON(tok, method, path string, v any) (int, string) {
	raw, err := json.Marshal(v)
	if err != nil {
		cf.t.Fatal(err)
	}
	return cf.call(tok, method, path, "application/json", raw)
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	ID, Type, Data string
}

// sseClient reads an event stream.
type sseClient struct {
	res *http.Response
	rd  *bufio.Reader
}

// openSSE connects and waits for the stream's first frame (sent after
// the subscription is in place).
func (cf *ctiFixture) openSSE(tok, lastID string) *sseClient {
	cf.t.Helper()
	req, _ := http.NewRequestWithContext(cf.t.Context(), http.MethodGet, cf.base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cf.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(res.Body)
		cf.t.Fatalf("events: %d %s", res.StatusCode, raw)
	}
	cf.t.Cleanup(func() { res.Body.Close() })
	c := &sseClient{res: res, rd: bufio.NewReader(res.Body)}
	if line, err := c.rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		cf.t.Fatalf("first line %q: %v", line, err)
	}
	return c
}

// next reads events until one of typ.
func (c *sseClient) next(t *testing.T, typ string) sseEvent {
	t.Helper()
	var e sseEvent
	for {
		line, err := c.rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading events: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if e.Type == typ {
				return e
			}
			e = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			e.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.Data = line[6:]
		}
	}
}

// fakeControl records the call-control requests.
type fakeControl struct {
	mu   sync.Mutex
	done []string
}

func (c *fakeControl) add(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = append(c.done, s)
	if strings.Contains(s, "gone") {
		return cti.ErrUnknownCall
	}
	return nil
}

func (c *fakeControl) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.done...)
}

func (c *fakeControl) Originate(_ context.Context, ext, number string) (string, error) {
	return "call-new", c.add("originate " + ext + " " + number)
}
func (c *fakeControl) Hangup(_ context.Context, id string) error { return c.add("hangup " + id) }
func (c *fakeControl) Hold(_ context.Context, id string, on bool) error {
	return c.add(map[bool]string{true: "hold ", false: "resume "}[on] + id)
}
func (c *fakeControl) Transfer(_ context.Context, id, to string) error {
	return c.add("transfer " + id + " " + to)
}
func (c *fakeControl) Conference(_ context.Context, id, to string) error {
	return c.add("conference " + id + " " + to)
}

// Answer makes fakeControl a cti.Answerer whose phones answer by
// extension: 301 refuses, 302 is silent, 303 is not ringing.
func (c *fakeControl) Answer(_ context.Context, id, ext string) error {
	if err := c.add("answer " + id + " " + ext); err != nil {
		return err
	}
	switch ext {
	case "301":
		return fmt.Errorf("%w: 489 Bad Event", cti.ErrPhoneRefused)
	case "302":
		return fmt.Errorf("%w: i/o timeout", cti.ErrPhoneSilent)
	case "303":
		return cti.ErrNotRinging
	}
	return nil
}

// fakeAgents records agent actions.
type fakeAgents struct{ fakeControl }

func (a *fakeAgents) Login(_ context.Context, id, ext string) error {
	return a.add("login " + id + " " + ext)
}
func (a *fakeAgents) Logout(_ context.Context, id string) error { return a.add("logout " + id) }
func (a *fakeAgents) Pause(_ context.Context, id, reason string) error {
	return a.add("pause " + id + " " + reason)
}
func (a *fakeAgents) Ready(_ context.Context, id string) error { return a.add("ready " + id) }
