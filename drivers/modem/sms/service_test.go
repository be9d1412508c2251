package sms_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/modemsim"
	"callbox/drivers/modem/sms"
	"callbox/firmware/store"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.t.Add(d), ch})
	return ch
}

// waiting counts the timers set and not yet fired. The SMS service sets
// one, for its parts timeout, only once it holds part of a long message
// (the outbox sets one only while a message waits for a retry).
func (c *fakeClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.t) {
			w.ch <- c.t
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// phone is one box side: a simulated GSM modem, the real driver on its
// pseudo-terminal, a store and the SMS service.
type phone struct {
	sim   *modemsim.Modem
	m     *modem.Modem
	st    *store.Store
	svc   *sms.Service
	mu    sync.Mutex
	inbox []store.Message
	stop  func()

	ctx context.Context // of the running driver and service, ended by stop
	wg  sync.WaitGroup
}

func (p *phone) received() []store.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]store.Message(nil), p.inbox...)
}

func newPhone(t *testing.T, net *modemsim.Network, number string, clock *fakeClock, cfg modemsim.Config, opts ...sms.ServiceOption) *phone {
	t.Helper()
	cfg.Number, cfg.SMS = number, true
	sim, err := net.Add(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &phone{sim: sim, st: st}
	p.start(t, clock, opts...)
	return p
}

// cmdTimeout is how long the driver waits for an answer (six times that
// for an SMS after its prompt). It is short so that the tests of a hung
// modem are quick, but not so short that a busy test machine (make test
// runs packages in parallel, -race slows every goroutine) takes a slow
// answer for a hung modem: at 500 ms the init after a reset timed out now
// and then, and left the modem in alarm until its 30 s health check.
const cmdTimeout = time.Second

// start runs driver and service; stop ends both (a box shutting down).
func (p *phone) start(t *testing.T, clock *fakeClock, opts ...sms.ServiceOption) {
	t.Helper()
	p.startModem(t)
	p.startService(clock, opts...)
}

// startModem runs the driver alone, until it is ready: the box before its
// SMS service starts.
func (p *phone) startModem(t *testing.T) {
	t.Helper()
	port, err := modem.OpenSerial(p.sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	p.m = modem.New(port, modem.WithName("gsm0"), modem.WithTimeout(cmdTimeout), modem.WithInit(sms.InitCommands...))
	ctx, cancel := context.WithCancel(context.Background())
	p.ctx = ctx
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.m.Run(ctx) }()
	var once sync.Once
	p.stop = func() { once.Do(func() { cancel(); p.wg.Wait() }) }
	t.Cleanup(p.stop)
	waitFor(t, "modem ready", func() bool { return p.m.State() == modem.StateReady })
}

// startService runs the SMS service on the driver startModem runs.
func (p *phone) startService(clock *fakeClock, opts ...sms.ServiceOption) {
	handler := sms.WithHandler(func(_ context.Context, m store.Message, _ sms.Inbound) {
		p.mu.Lock()
		p.inbox = append(p.inbox, m)
		p.mu.Unlock()
	})
	p.svc = sms.NewService(p.m, p.st, "gsm0", append([]sms.ServiceOption{handler, sms.WithClock(clock),
		sms.WithRetryDelays(time.Minute, time.Minute, time.Minute)}, opts...)...)
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.svc.Run(p.ctx) }()
}

func message(t *testing.T, st *store.Store, id string) store.Message {
	t.Helper()
	m, err := store.Get[store.Message](st, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestService_SendsAndReceivesEnglishChineseAndLongMessages(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	a := newPhone(t, net, "+8613911110001", clock, modemsim.Config{})
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{}, sms.With16BitRefs())
	long := strings.Repeat("Your callback is booked for 3pm; reply STOP to cancel {ref 42}. ", 8)[:500]
	longZH := string([]rune(strings.Repeat("您好，您的传真已经收到，我们的客服人员会在工作时间内尽快与您联系。", 16))[:500])
	texts := []string{"Hello from callbox", "您好，这是一条测试短信。", long, longZH}
	var ids []string
	for _, txt := range texts {
		m, err := a.svc.Send("+8613922220002", txt)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	// And the other way, with 16-bit references.
	back, err := b.svc.Send("+8613911110001", longZH)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "four messages at b", func() bool { return len(b.received()) == 4 })
	waitFor(t, "one message at a", func() bool { return len(a.received()) == 1 })
	got := map[string]bool{}
	for _, m := range b.received() {
		got[m.Text] = true
		if m.Number != "+8613911110001" || m.Partial || m.State != store.StateReceived {
			t.Fatalf("received %+v", m)
		}
	}
	for _, txt := range texts {
		if !got[txt] {
			t.Fatalf("text not received intact: %.40q", txt)
		}
	}
	if a.received()[0].Text != longZH {
		t.Fatal("long Chinese text with 16-bit references not received intact")
	}
	for _, id := range ids {
		waitFor(t, "delivery report", func() bool { return message(t, a.st, id).State == store.StateDelivered })
	}
	waitFor(t, "delivery report", func() bool { return message(t, b.st, back.ID).State == store.StateDelivered })
	// Parts on the air: 1 + 1 + 4 (GSM 7-bit) + 8 (UCS-2).
	if n := len(a.sim.Sent()); n != 14 {
		t.Fatalf("%d PDUs sent, want 14", n)
	}
	if used, _ := b.sim.StoredCount(); used != 0 {
		t.Fatalf("%d messages left on b's SIM", used)
	}
}

func TestService_JoinsPartsOutOfOrderAndDropsDuplicate(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	b := newPhone(t, net, "+8613922220002", newClock(), modemsim.Config{})
	parts, err := sms.Split("+8613922220002", strings.Repeat("0123456789", 40), 77, false, false)
	if err != nil || len(parts) != 3 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	for _, i := range []int{2, 0, 2, 1} {
		p := parts[i]
		if err := b.sim.Deliver(sms.Deliver{From: "+8613933330003", Encoding: p.Encoding, Concat: p.Concat, Text: p.Text}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "joined message", func() bool { return len(b.received()) == 1 })
	if m := b.received()[0]; m.Text != strings.Repeat("0123456789", 40) || m.Partial {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, "SIM emptied", func() bool { used, _ := b.sim.StoredCount(); return used == 0 })
}

func TestService_StoresIncompleteMessageAsPartialAfterTimeout(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{}, sms.WithPartTimeout(time.Hour))
	for _, seq := range []byte{1, 3} {
		d := sms.Deliver{From: "+8613933330003", Text: "part" + string('0'+seq), Concat: &sms.Concat{Ref: 9, Total: 3, Seq: seq}}
		if err := b.sim.Deliver(d); err != nil {
			t.Fatal(err)
		}
	}
	// Both parts read, and the service holds the first (its parts timer is
	// set): read by a +CMTI or by the listing at start when the notice came
	// before the service listened, the part's wait starts now, not after
	// the clock moves.
	waitFor(t, "parts read and held", func() bool {
		used, _ := b.sim.StoredCount()
		return used == 2 && b.sim.Unread() == 0 && clock.waiting() > 0
	})
	clock.Advance(59 * time.Minute)
	if len(b.received()) != 0 {
		t.Fatal("given up before the timeout")
	}
	clock.Advance(time.Minute)
	waitFor(t, "partial message", func() bool { return len(b.received()) == 1 })
	m := b.received()[0]
	if !m.Partial || m.Text != "part1"+sms.MissingMark+"part3" {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, "SIM emptied", func() bool { used, _ := b.sim.StoredCount(); return used == 0 })
}

func TestService_QueuedMessageGoesOutAfterModemStopsAnswering(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	a := newPhone(t, net, "+8613911110001", clock, modemsim.Config{})
	waitFor(t, "storage listed", func() bool { return a.sim.Seen("AT+CMGL") > 0 })
	a.sim.Hang(false) // answers nothing until ATZ
	m, err := a.svc.Send("+8613944440004", "still there?")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first attempt failed", func() bool {
		got := message(t, a.st, m.ID)
		return got.State == store.StateQueued && got.Attempts == 1
	})
	waitFor(t, "modem reset", func() bool { return a.m.Status().Resets >= 1 && a.m.State() == modem.StateReady })
	clock.Advance(time.Minute)
	waitFor(t, "sent after reset", func() bool { return message(t, a.st, m.ID).State == store.StateDelivered })
	if got := message(t, a.st, m.ID); got.Attempts != 2 || got.LastError != "" {
		t.Fatalf("record %+v", got)
	}
	if s := a.sim.Sent(); len(s) != 1 || s[0].Submit.Text != "still there?" {
		t.Fatalf("sent %+v", s)
	}
}

func TestService_QueueSurvivesRestart(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	a := newPhone(t, net, "+8613911110001", clock, modemsim.Config{})
	waitFor(t, "storage listed", func() bool { return a.sim.Seen("AT+CMGL") > 0 })
	a.sim.Hang(true) // dead until power cycle: the message stays queued
	m, err := a.svc.Send("+8613944440004", "after restart")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first attempt failed", func() bool { return message(t, a.st, m.ID).Attempts == 1 })
	a.stop()
	if got := message(t, a.st, m.ID); got.State != store.StateQueued {
		t.Fatalf("state after stop %s", got.State)
	}
	a.sim.PowerCycle()
	a.start(t, clock)
	clock.Advance(time.Minute)
	waitFor(t, "sent after restart", func() bool { return message(t, a.st, m.ID).State == store.StateDelivered })
}

func TestService_EmptiesFullSIM(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	// Messages arrive while the box is off: the SIM holds 3, the network
	// keeps 2 waiting.
	sim, err := net.Add(modemsim.Config{Number: "+8613955550005", SMS: true, Slots: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := sim.Deliver(sms.Deliver{From: "+8613933330003", Text: "msg " + string(rune('A'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if used, waiting := sim.StoredCount(); used != 3 || waiting != 2 {
		t.Fatalf("SIM %d used, %d waiting", used, waiting)
	}
	sim.Close()
	// A modem on a fresh pty with the same SIM state is not needed: start
	// the box on a new simulated modem that already has a full SIM.
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{Slots: 3})
	b.stop()
	for i := 0; i < 5; i++ {
		if err := b.sim.Deliver(sms.Deliver{From: "+8613933330003", Text: "msg " + string(rune('A'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	b.start(t, clock)
	waitFor(t, "all five read", func() bool { return len(b.received()) == 5 })
	if used, waiting := b.sim.StoredCount(); used != 0 || waiting != 0 {
		t.Fatalf("SIM %d used, %d waiting", used, waiting)
	}
}

func TestService_BadPDUIsDroppedAndReceivingGoesOn(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	b := newPhone(t, net, "+8613922220002", newClock(), modemsim.Config{})
	d := sms.Deliver{From: "+8613933330003", Text: "good one"}
	pdu, n, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	b.sim.StoreRaw(pdu, n+5)            // wrong stated length
	b.sim.StoreRaw(pdu[:len(pdu)-4], n) // truncated
	b.sim.StoreRaw("zz"+pdu, n)         // not hex
	if err := b.sim.Deliver(d); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "good message", func() bool { return len(b.received()) == 1 })
	waitFor(t, "bad ones deleted", func() bool { used, _ := b.sim.StoredCount(); return used == 0 })
	if b.received()[0].Text != "good one" {
		t.Fatalf("got %+v", b.received()[0])
	}
}

func TestService_AlphanumericSenderIsPassedOnAndFreesTheSIM(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	b := newPhone(t, net, "+8613922220002", newClock(), modemsim.Config{})
	// From "BANK" (alphanumeric address), text "Your code 1234".
	b.sim.StoreRaw("000407D0C2A073090000621172500000800ED9775D0E1ABFC965504C36A301", 30)
	waitFor(t, "message passed on", func() bool { return len(b.received()) == 1 })
	if m := b.received()[0]; m.Number != "BANK" || m.Text != "Your code 1234" {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, "SIM freed", func() bool { used, _ := b.sim.StoredCount(); return used == 0 })
}

func TestService_SIMFullOfIncompletePartsMakesRoom(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{Slots: 2})
	b.stop()
	// Two first parts of two long messages fill the SIM; a third message
	// waits in the network.
	for ref := uint16(1); ref <= 2; ref++ {
		d := sms.Deliver{From: "+8613933330003", Text: "start", Concat: &sms.Concat{Ref: ref, Total: 2, Seq: 1}}
		if err := b.sim.Deliver(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.sim.Deliver(sms.Deliver{From: "+8613933330003", Text: "urgent"}); err != nil {
		t.Fatal(err)
	}
	b.start(t, clock)
	waitFor(t, "urgent message", func() bool {
		for _, m := range b.received() {
			if m.Text == "urgent" {
				return true
			}
		}
		return false
	})
	var partial int
	for _, m := range b.received() {
		if m.Partial {
			partial++
		}
	}
	if partial == 0 {
		t.Fatal("no incomplete message was given up to make room")
	}
}

func TestService_PartsOnTheSIMSurviveRestart(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{})
	first := sms.Deliver{From: "+8613933330003", Text: "第一部分，", Encoding: sms.UCS2, Concat: &sms.Concat{Ref: 300, Total: 2, Seq: 1, Ref16: true}}
	if err := b.sim.Deliver(first); err != nil {
		t.Fatal(err)
	}
	// The part may be read by its +CMTI (AT+CMGR) or, when the notice came
	// before the service listened, by the listing at start (AT+CMGL): either
	// way the service holds it once its parts timer is set.
	waitFor(t, "first part held", func() bool { return b.sim.Unread() == 0 && clock.waiting() > 0 })
	b.stop() // the box restarts with half a message on the SIM
	b.start(t, clock)
	second := first
	second.Text, second.Concat = "第二部分。", &sms.Concat{Ref: 300, Total: 2, Seq: 2, Ref16: true}
	if err := b.sim.Deliver(second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "joined message", func() bool { return len(b.received()) == 1 })
	if m := b.received()[0]; m.Text != "第一部分，第二部分。" || m.Partial {
		t.Fatalf("got %+v", m)
	}
}

func TestService_MessageAnnouncedBeforeTheServiceListensIsRead(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{})
	b.stop()
	b.startModem(t) // the driver runs, the SMS service has not started yet
	if err := b.sim.Deliver(sms.Deliver{From: "+8613933330003", Text: "early bird"}); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-b.m.URCs():
		if u.Name != "+CMTI" {
			t.Fatalf("notice %+v, want +CMTI", u)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the modem raised no +CMTI")
	}
	// The notice is gone; only the listing at start can find the message.
	b.startService(clock)
	waitFor(t, "message read", func() bool { return len(b.received()) == 1 })
	if m := b.received()[0]; m.Text != "early bird" {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, "SIM emptied", func() bool { used, _ := b.sim.StoredCount(); return used == 0 })
}

func TestService_PartReadAgainAfterAResetIsDeletedOnce(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{Slots: 2})
	first := sms.Deliver{From: "+8613933330003", Text: "first half, ", Concat: &sms.Concat{Ref: 12, Total: 2, Seq: 1}}
	if err := b.sim.Deliver(first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first part held", func() bool { return b.sim.Unread() == 0 && clock.waiting() > 0 })
	// The modem hangs; meanwhile the second part fills the SIM and another
	// message waits in the network for a free slot.
	b.sim.Hang(false)
	second := first
	second.Text, second.Concat = "second half", &sms.Concat{Ref: 12, Total: 2, Seq: 2}
	if err := b.sim.Deliver(second); err != nil {
		t.Fatal(err)
	}
	if err := b.sim.Deliver(sms.Deliver{From: "+8613944440004", Text: "next one"}); err != nil {
		t.Fatal(err)
	}
	if used, waiting := b.sim.StoredCount(); used != 2 || waiting != 1 {
		t.Fatalf("SIM %d used, %d waiting", used, waiting)
	}
	// A command times out, the driver resets the modem, and the service
	// lists the SIM again: the first part a second time, and the second.
	// Its slot freed, the modem stores "next one" there at once: deleting
	// that slot a second time would lose it unread. (The command that times
	// out may be the service's own, reading the first part again for a
	// +CMTI that came while it listed the SIM at start: then this one is
	// answered after the reset.)
	_, _ = b.m.Command(context.Background(), "AT+CSQ")
	waitFor(t, "modem reset", func() bool { return b.m.Status().Resets >= 1 })
	waitFor(t, "both messages", func() bool { return len(b.received()) == 2 })
	got := map[string]bool{}
	for _, m := range b.received() {
		got[m.Text] = true
	}
	if !got["first half, second half"] || !got["next one"] {
		t.Fatalf("received %+v", b.received())
	}
	waitFor(t, "SIM emptied", func() bool { used, waiting := b.sim.StoredCount(); return used == 0 && waiting == 0 })
}

func TestService_FullSIMIsListedBeforeAnIncompleteMessageIsGivenUp(t *testing.T) {
	net := modemsim.NewNetwork("+8613800100500")
	clock := newClock()
	b := newPhone(t, net, "+8613922220002", clock, modemsim.Config{Slots: 3})
	a1 := sms.Deliver{From: "+8613933330003", Text: "first half, ", Concat: &sms.Concat{Ref: 12, Total: 2, Seq: 1}}
	if err := b.sim.Deliver(a1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first part held", func() bool { return b.sim.Unread() == 0 && clock.waiting() > 0 })
	// The second part reaches the SIM but its +CMTI is lost (here: the
	// modem is told not to announce it).
	ctx := context.Background()
	if _, err := b.m.Command(ctx, "AT+CNMI=2,0,0,1,0"); err != nil {
		t.Fatal(err)
	}
	a2 := a1
	a2.Text, a2.Concat = "second half", &sms.Concat{Ref: 12, Total: 2, Seq: 2}
	if err := b.sim.Deliver(a2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.m.Command(ctx, "AT+CNMI=2,1,0,1,0"); err != nil {
		t.Fatal(err)
	}
	// The first part of another long message fills the SIM: the service
	// must find the unread part there rather than give the first message
	// up as partial to make room.
	other := sms.Deliver{From: "+8613944440004", Text: "another ", Concat: &sms.Concat{Ref: 13, Total: 2, Seq: 1}}
	if err := b.sim.Deliver(other); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "joined message", func() bool { return len(b.received()) == 1 })
	if m := b.received()[0]; m.Text != "first half, second half" || m.Partial {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, "the other message's part left on the SIM", func() bool { used, _ := b.sim.StoredCount(); return used == 1 })
}
