package webui

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/acd/queue"
	"callbox/acd/servicelevel"
	"callbox/firmware/store"
)

// boardACD is the real queue side with the wallboard's figures set by the
// test: no call runs through a switch here, so the live figures are what
// a test says they are.
type boardACD struct {
	*queue.Live
	mu    sync.Mutex
	snaps []servicelevel.Snapshot
}

func (b *boardACD) Snapshots() []servicelevel.Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]servicelevel.Snapshot(nil), b.snaps...)
}

func (b *boardACD) set(snaps ...servicelevel.Snapshot) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.snaps = snaps
}

// consoleFixture is the web server listening on loopback with a running
// CTI hub and live directory and the real queue side (agent state goes
// through its dispatcher and onto the bus): agent "li" is agent 101 on
// extension 201, member of queue "sales"; "boss" is a supervisor with
// extension 401.
type consoleFixture struct {
	*fixture
	bus  *acd.Bus
	hub  *cti.Hub
	acd  *boardACD
	dir  *source.Live
	ctl  *fakeControl
	base string
}

func newConsoleFixture(t testing.TB) *consoleFixture { return newConsoleFixtureWith(t, nil) }

// newConsoleFixtureWith is newConsoleFixture with the hub's call control
// given (nil: the fixture's fakeControl), for a control that does more.
func newConsoleFixtureWith(t testing.TB, ctl func(*consoleFixture) cti.Control) *consoleFixture {
	t.Helper()
	f := newFixture(t)
	// The server runs on real time (the pages show how long an agent has
	// been in a state); the fixture's clock only dates the users.
	f.finishSetupAt(time.Now)
	f.addUser("boss", store.RoleSupervisor, testPassword, false)
	f.addUser("li", store.RoleAgent, testPassword, false)
	f.addUser("tom", store.RoleAgent, testPassword, false)
	put(t, f.st, store.Agent{ID: "101", Name: "Li", User: "li", Extension: "201", Enabled: true})
	put(t, f.st, store.Agent{ID: "102", Name: "Tom", User: "tom", Extension: "202", Enabled: true})
	put(t, f.st, store.Extension{Number: "201", Name: "Li", Secret: "Agent-Phone-201x"})
	put(t, f.st, store.Extension{Number: "401", Name: "Boss", Secret: "Super-Visor-41x"})
	put(t, f.st, store.Queue{Name: "sales", Strategy: store.StrategyLongestIdle,
		Members: []store.QueueMember{{Agent: "101", Level: 1, Weight: 1}, {Agent: "102", Level: 1, Weight: 1}}})
	put(t, f.st, store.Queue{Name: "vip", Strategy: store.StrategyLongestIdle, Members: []store.QueueMember{{Agent: "102", Level: 1, Weight: 1}}})
	cf := &consoleFixture{fixture: f, bus: acd.NewBus(), ctl: &fakeControl{}}
	live, err := queue.NewLive(queue.WithStore(f.st), queue.WithBus(cf.bus),
		queue.WithDial(func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) { return nil, errNoPhones }))
	if err != nil {
		t.Fatal(err)
	}
	cf.acd = &boardACD{Live: live}
	cf.acd.set(servicelevel.Snapshot{Queue: "sales", LoggedIn: 1, Available: 1,
		Day: servicelevel.Interval{Queue: "sales", Offered: 10, Answered: 9, AnsweredInSL: 8, Abandoned: 1}})
	dir := source.NewLive(f.st, directory.PlanCN, slog.New(slog.DiscardHandler))
	var control cti.Control = cf.ctl
	if ctl != nil {
		control = ctl(cf)
	}
	hub, err := cti.New(cti.Config{Store: f.st, Bus: cf.bus, Lookup: dir, Control: control, Agents: live,
		PopTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cf.hub, cf.dir = hub, dir
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Version: "test", CTI: hub, Directory: dir, ACD: cf.acd})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{dir.Run, hub.Run, srv.Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := 0; srv.Addr() == "" || len(dir.Health()) == 0; i++ {
		if i > 2000 {
			t.Fatal("server or directory did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cf.base = "http://" + srv.Addr()
	return cf
}

// put stores one record or fails the test.
func put[T store.Record](t testing.TB, st *store.Store, r T) {
	t.Helper()
	if _, err := store.Put(st, r); err != nil {
		t.Fatalf("put %s %s: %v", r.Kind(), r.Key(), err)
	}
}

// finishSetupAt is finishSetup for a fixture on the real clock.
func (f *fixture) finishSetupAt(now func() time.Time) {
	f.t.Helper()
	u := store.User{Name: "admin", Role: store.RoleAdmin, CreatedAt: now()}
	if err := u.SetPassword(testPassword); err != nil {
		f.t.Fatal(err)
	}
	if _, err := store.Put(f.st, u); err != nil {
		f.t.Fatal(err)
	}
	st := store.DefaultSettings()
	st.SiteName = "Test site"
	st.SetupDone = true
	st.PauseReasons = []string{"lunch", "training"}
	if _, err := store.Put(f.st, st); err != nil {
		f.t.Fatal(err)
	}
}

// customer stores c and checks that the live directory finds it at once:
// once the directory has started, a lookup waits for the built-in index
// to apply every change stored before it, and a customer's change drops
// the cached answers for its numbers, so no wait on time is needed.
func (cf *consoleFixture) customer(c store.Customer) {
	cf.t.Helper()
	put(cf.t, cf.st, c)
	res, err := cf.dir.Lookup(context.Background(), c.Numbers[0])
	if err != nil || res.Record.Name != c.Name {
		cf.t.Fatalf("the directory does not find customer %s right after it was stored: %+v %v", c.ID, res, err)
	}
}

// offer tells the hub the queue offered a call to agent 101, as the queue
// does when it rings the agent's phone, and returns the pop.
func (cf *consoleFixture) offer(callID, number string) cti.Pop {
	cf.t.Helper()
	return cf.hub.Offered(context.Background(), cti.OfferInfo{CallID: callID, Agent: "101", Extension: "201", Queue: "sales",
		Caller: acd.Party{Number: number, Source: acd.SourceLine}, Waited: 42 * time.Second,
		Route: []string{"flow:main", "menu:1", "queue:sales"}, Data: map[string]string{"digits": "1", "order": "A-778"}})
}
