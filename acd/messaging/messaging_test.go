package messaging_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/acd/messaging"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/modemsim"
	"callbox/drivers/modem/sms"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/t4"
)

const (
	boxGSM   = "+8613911110001"
	customer = "+8613922220002"
	boxFax   = "+862150550001"
	farFax   = "+862150550002"
)

// gsmNet is a GSM network with the box's modem and a customer's phone.
func gsmNet(t *testing.T) (net *modemsim.Network, boxSim, phone *modemsim.Modem) {
	t.Helper()
	net = modemsim.NewNetwork("+8613800100500")
	var err error
	if boxSim, err = net.Add(modemsim.Config{Number: boxGSM, SMS: true, Manufacturer: "SIMCOM", Model: "SIM800"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { boxSim.Close() })
	if phone, err = net.Add(modemsim.Config{Number: customer, SMS: true, Slots: 200}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phone.Close() })
	return net, boxSim, phone
}

// sentTo returns the texts the modem submitted for number, in order
// (parts of a long message joined by nothing: each part as sent).
func sentTo(sim *modemsim.Modem, number string) []string {
	var out []string
	for _, s := range sim.Sent() {
		if s.Submit.To == number {
			out = append(out, s.Submit.Text)
		}
	}
	return out
}

func TestService_AutoReplyRuleAnswersAndFilesHistory(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{Rules: []messaging.Rule{
		{Name: "hours", Keyword: "HOURS", Reply: "We are open 9:00-18:00, Monday to Friday."},
	}})
	// The customer is on file in national form; history links by number.
	if _, err := store.Put(b.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"13922220002"}}); err != nil {
		t.Fatal(err)
	}
	b.addLine("gsm0", boxSim, "sales")
	b.start()
	b.lineUp("gsm0", true, false)

	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "Hours?"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "auto-reply on the air", func() bool { return len(sentTo(boxSim, customer)) == 1 })
	if got := sentTo(boxSim, customer)[0]; got != "We are open 9:00-18:00, Monday to Friday." {
		t.Fatalf("reply %q", got)
	}
	ev := b.eventsOf(kindAutoReply)
	if len(ev) != 1 || ev[0].Rule != "hours" || ev[0].CustomerID != "c1" || ev[0].Conversation != customer {
		t.Fatalf("events %+v", ev)
	}
	if len(b.eventsOf(kindSMS)) != 0 {
		t.Fatal("an answered message went to the agents too")
	}
	// Both directions are in the customer's history, whatever form the
	// number is looked up in.
	var hist []store.Contact
	waitFor(t, "history", func() bool {
		var err error
		hist, err = directory.History(b.st, directory.PlanCN, "13922220002", 0)
		return err == nil && len(hist) == 2
	})
	dirs := map[store.Direction]store.Contact{}
	for _, c := range hist {
		if c.Channel != store.ChannelSMS || c.CustomerID != "c1" {
			t.Fatalf("history entry %+v", c)
		}
		dirs[c.Direction] = c
	}
	if dirs[store.DirectionIn].Summary != "Hours?" || !strings.HasPrefix(dirs[store.DirectionOut].Summary, "We are open") {
		t.Fatalf("history %+v", hist)
	}
	// The reply went out on the line the question came in on and reached
	// a final state.
	out := b.message(dirs[store.DirectionOut].ID)
	waitFor(t, "reply sent", func() bool {
		m := b.message(out.ID)
		return m.State == store.StateSent || m.State == store.StateDelivered
	})
	if out.Line != "gsm0" {
		t.Fatalf("reply on line %q", out.Line)
	}
}

func TestService_MultipartChineseSMSBecomesConversationForTheLineQueue(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{Rules: []messaging.Rule{{Name: "stop", Keyword: "STOP", Reply: "Unsubscribed."}}})
	b.addLine("gsm0", boxSim, "sales")
	if _, err := store.Put(b.st, store.Agent{ID: "1001", Name: "Han Meimei", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	b.start()
	b.lineUp("gsm0", true, false)

	text := string([]rune(strings.Repeat("您好，我想咨询一下贵公司的产品价格和交货时间，请尽快回复。", 20))[:500])
	parts, err := sms.Split(boxGSM, text, 201, false, false)
	if err != nil || len(parts) < 7 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	// Out of order, one part twice.
	order := []int{3, 0, 6, 1, 1}
	for i := range parts {
		if i != 0 && i != 1 && i != 3 && i != 6 {
			order = append(order, i)
		}
	}
	for _, i := range order {
		p := parts[i]
		if err := boxSim.Deliver(sms.Deliver{From: customer, Encoding: p.Encoding, Concat: p.Concat, Text: p.Text}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "conversation event", func() bool { return len(b.eventsOf(kindSMS)) == 1 })
	ev := b.eventsOf(kindSMS)[0]
	if ev.Queue != "sales" || ev.Agent != "" || ev.Text != text || ev.Conversation != customer {
		t.Fatalf("event %+v", ev)
	}
	convs, err := messaging.Conversations(b.st)
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations %+v, %v", convs, err)
	}
	if c := convs[0]; c.Key != customer || c.Queue != "sales" || c.Line != "gsm0" || c.Waiting != 1 || c.Agent != "" {
		t.Fatalf("conversation %+v", c)
	}

	// An agent takes it and answers; the answer goes out on the same line.
	if err := messaging.Claim(b.st, customer, "1001", false); err != nil {
		t.Fatal(err)
	}
	if err := messaging.Claim(b.st, customer, "1002", false); !errors.Is(err, messaging.ErrUnknownAgent) {
		t.Fatalf("claim by unknown agent: %v", err)
	}
	if _, err := store.Put(b.st, store.Agent{ID: "1002", Name: "Lin Tao", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := messaging.Claim(b.st, customer, "1002", false); !errors.Is(err, messaging.ErrTaken) {
		t.Fatalf("claim of a held conversation: %v", err)
	}
	reply, err := messaging.Reply(b.st, customer, "1001", "您好，价格表已发送到您的邮箱。")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "agent's reply sent", func() bool {
		m := b.message(reply.ID)
		return m.State == store.StateSent || m.State == store.StateDelivered
	})
	if got := sentTo(boxSim, customer); len(got) != 1 || got[0] != "您好，价格表已发送到您的邮箱。" {
		t.Fatalf("sent %q", got)
	}
	// The next message of the thread goes to the agent who holds it.
	if err := boxSim.Deliver(sms.Deliver{From: customer, Encoding: sms.UCS2, Text: "谢谢"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second event", func() bool { return len(b.eventsOf(kindSMS)) == 2 })
	if ev := b.eventsOf(kindSMS)[1]; ev.Agent != "1001" {
		t.Fatalf("second message not for the holder: %+v", ev)
	}
	c, err := messaging.Get(b.st, customer)
	if err != nil || c.Messages != 3 || c.Waiting != 1 || c.Agent != "1001" {
		t.Fatalf("conversation %+v, %v", c, err)
	}
	msgs, err := messaging.ConversationMessages(b.st, customer)
	if err != nil || len(msgs) != 3 || msgs[0].Text != text || msgs[1].ID != reply.ID {
		t.Fatalf("thread %d, %v", len(msgs), err)
	}
}

func TestService_SendQueueSurvivesRestartWithoutModem(t *testing.T) {
	_, boxSim, phone := gsmNet(t)
	b := newBox(t, messaging.Config{})
	// No modem line yet: the message waits in the store.
	b.start()
	queued, err := b.svc.SendSMS(context.Background(), customer, "Your order #1024 has shipped.")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if m := b.message(queued.ID); m.State != store.StateQueued || m.Line != "" {
		t.Fatalf("before restart %+v", m)
	}
	// The box restarts: the store is reopened, a modem is configured.
	if err := b.st.Close(); err != nil {
		t.Fatal(err)
	}
	b.open()
	b.addLine("gsm0", boxSim, "")
	b.start()
	waitFor(t, "queued message sent after restart", func() bool {
		m := b.message(queued.ID)
		return m.State == store.StateSent || m.State == store.StateDelivered
	})
	if m := b.message(queued.ID); m.Line != "gsm0" || m.Attempts != 1 {
		t.Fatalf("after restart %+v", m)
	}
	if got := sentTo(boxSim, customer); len(got) != 1 {
		t.Fatalf("sent %d times", len(got))
	}
	waitFor(t, "message at the phone", func() bool { used, _ := phone.StoredCount(); return used == 1 })
}

// faxDoc makes a two-page PNG-free document: a TIFF of drawn pages.
func faxPage(t *testing.T, n int) *t4.Page {
	t.Helper()
	p, err := t4.NewPage(t4.Width, 800, t4.Standard)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			p.Set(x, y, x < 8 || y < 4 || (y%30 < 3 && (x/(20+n))%2 == 0))
		}
	}
	return p
}

func TestService_ReceivedFaxIsStoredWithPreviewAndHistory(t *testing.T) {
	net := modemsim.NewNetwork("")
	boxSim, err := net.Add(modemsim.Config{Number: boxFax, Fax: true, Manufacturer: "USRobotics", Model: "Courier"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { boxSim.Close() })
	far := newStation(t, net, farFax)
	b := newBox(t, messaging.Config{})
	if _, err := store.Put(b.st, store.Customer{ID: "acme", Name: "ACME", Numbers: []string{farFax}}); err != nil {
		t.Fatal(err)
	}
	b.addLine("fax0", boxSim, "backoffice")
	b.start()
	b.lineUp("fax0", false, true)

	var doc bytes.Buffer
	if err := t4.WriteTIFF(&doc, []*t4.Page{faxPage(t, 1), faxPage(t, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(far.dir, "order.tif"), doc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := far.svc.Send(context.Background(), boxFax, "order.tif"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fax event", func() bool { return len(b.eventsOf(kindFax)) == 1 })
	ev := b.eventsOf(kindFax)[0]
	m, err := store.Get[store.Message](b.st, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Queue != "backoffice" || ev.CustomerID != "acme" || ev.Pages != 2 || ev.From != farFax || ev.To != "fax0" ||
		m.State != store.StateReceived {
		t.Fatalf("event %+v", ev)
	}
	data, err := os.ReadFile(filepath.Join(b.dir, m.Path))
	if err != nil {
		t.Fatal(err)
	}
	if pages, err := t4.ReadTIFF(data); err != nil || len(pages) != 2 || !pages[1].Equal(faxPage(t, 2)) {
		t.Fatalf("stored fax: %d pages, %v", len(pages), err)
	}
	f, err := os.Open(filepath.Join(b.dir, messaging.FaxPreview(m)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prev, err := png.Decode(f)
	if err != nil || prev.Bounds().Dx() != t4.Width/2 || prev.Bounds().Dy() != 800 {
		t.Fatalf("preview %v, %v", prev.Bounds(), err)
	}
	// And a PDF that renders (pdftoppm is how documents are read, too).
	pdf, err := os.ReadFile(filepath.Join(b.dir, messaging.FaxPDF(m)))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF: %v", err)
	}
	if back, err := fax.LoadDocument(context.Background(), pdf, t4.Standard); err != nil || len(back) != 2 {
		t.Fatalf("PDF read back: %d pages, %v", len(back), err)
	}
	hist, err := directory.History(b.st, directory.PlanCN, farFax, 0)
	if err != nil || len(hist) != 1 || hist[0].Channel != store.ChannelFax || hist[0].CustomerID != "acme" || hist[0].ID != m.ID {
		t.Fatalf("history %+v, %v", hist, err)
	}
	// It waits in the back office's inbox as a work item.
	inbox, err := messaging.FaxInbox(b.st, "backoffice")
	if err != nil || len(inbox) != 1 || inbox[0].Message.ID != m.ID || inbox[0].CustomerID != "acme" || inbox[0].Preview == "" {
		t.Fatalf("inbox %+v, %v", inbox, err)
	}
	if other, err := messaging.FaxInbox(b.st, "sales"); err != nil || len(other) != 0 {
		t.Fatalf("sales inbox %+v, %v", other, err)
	}
}

// pngDoc is a one-page image document as a person would upload it.
func pngDoc(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 850, 1100))
	for y := range 1100 {
		for x := range 850 {
			c := color.Gray{Y: 255}
			if y%40 < 4 || x < 20 {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestService_FaxOnDemandQueuesAndSendsUploadedDocument(t *testing.T) {
	net := modemsim.NewNetwork("")
	boxSim, err := net.Add(modemsim.Config{Number: boxFax, Fax: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { boxSim.Close() })
	far := newStation(t, net, farFax)
	b := newBox(t, messaging.Config{})
	b.addLine("fax0", boxSim, "")
	ctx := context.Background()

	// Bad uploads are refused and nothing is kept.
	if _, err := messaging.SaveDocument(ctx, b.dir, "empty", nil); !errors.Is(err, messaging.ErrBadDocument) || !errors.Is(err, fax.ErrEmptyDocument) {
		t.Fatalf("0-byte upload: %v", err)
	}
	if _, err := messaging.SaveDocument(ctx, b.dir, "notes", []byte("just some text\n")); !errors.Is(err, fax.ErrUnknownFormat) {
		t.Fatalf("text upload: %v", err)
	}
	if _, err := messaging.SaveDocument(ctx, b.dir, "../etc", pngDoc(t)); !errors.Is(err, messaging.ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
	doc, err := messaging.SaveDocument(ctx, b.dir, "price-list", pngDoc(t))
	if err != nil || doc.Pages != 1 {
		t.Fatalf("upload %+v, %v", doc, err)
	}
	docs, err := messaging.Documents(b.dir)
	if err != nil || len(docs) != 1 || docs[0].Name != "price-list" || docs[0].Pages != 1 {
		t.Fatalf("documents %+v, %v", docs, err)
	}

	b.start()
	if err := b.svc.SendFax(ctx, farFax, "no-such-doc"); !errors.Is(err, messaging.ErrNoDocument) {
		t.Fatalf("unknown document: %v", err)
	}
	// What the IVR's send-fax node does with the caller's number.
	if err := b.svc.SendFax(ctx, farFax, "price-list"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fax at the caller", func() bool { return len(far.received()) == 1 })
	if got := far.received()[0]; got.Pages != 1 || got.Number != boxFax {
		t.Fatalf("caller got %+v", got)
	}
	var out store.Message
	waitFor(t, "fax delivered", func() bool {
		msgs, _ := store.List[store.Message](b.st)
		for _, m := range msgs {
			if m.Channel == store.ChannelFax && m.Direction == store.DirectionOut {
				out = m
			}
		}
		return out.State == store.StateDelivered
	})
	if out.Line != "fax0" || out.Path != "fax/docs/price-list.tif" {
		t.Fatalf("outbound record %+v", out)
	}
	hist, err := directory.History(b.st, directory.PlanCN, farFax, 0)
	if err != nil || len(hist) != 1 || hist[0].Direction != store.DirectionOut {
		t.Fatalf("history %+v, %v", hist, err)
	}
}

func TestService_GarbageOnTheSerialLineNeverStopsIt(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{Rules: []messaging.Rule{{Name: "ping", Keyword: "PING", Reply: "PONG"}}})
	b.addLine("gsm0", boxSim, "")
	b.start()
	b.lineUp("gsm0", true, false)
	noise := [][]byte{
		{0x00, 0xff, 0x13, 0x11, 0x1a, 0x1b},
		[]byte("\r\n+CMTI: \"SM\",97\r\n"),
		[]byte("\r\n+CMT: ,999\r\nZZZZ\r\n"),
		[]byte("\r\n+CDS: 12\r\n0000\r\n"),
		[]byte("\r\nRING\r\n\r\n+CLIP: \"\xff\xfe\",129\r\n"),
		bytes.Repeat([]byte{'A', 0x80, '\r'}, 300),
	}
	for i, n := range noise {
		boxSim.SendGarbage(n)
		if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "ping " + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every ping answered", func() bool { return len(sentTo(boxSim, customer)) == len(noise) })
	if !b.running() {
		t.Fatal("the service stopped")
	}
	// A message queued through the API after the noise still goes out.
	m, err := messaging.QueueSMS(b.st, customer, "still here", "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "API message sent", func() bool {
		s := b.message(m.ID).State
		return s == store.StateSent || s == store.StateDelivered
	})
	if err := b.stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func TestService_MissedCallAndCallbackSendNotifications(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	bus := acd.NewBus()
	b := newBox(t, messaging.Config{Bus: bus, Notify: messaging.Notifications{MissedCall: true, Callback: true}})
	if _, err := store.Put(b.st, store.Settings{SiteName: "ACME", Lang: i18n.EN, Country: "cn", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	b.addLine("gsm0", boxSim, "")
	b.start()
	b.lineUp("gsm0", true, false)

	now := time.Now()
	caller := acd.Party{Number: customer, Source: acd.SourceLine, Via: "fxo1"}
	// Answered by an agent: nothing. Abandoned in a queue: one text, and
	// only one however often it happens within the hour.
	bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "c1", Caller: caller, Start: now, Answer: now, Queue: "sales", Agent: "1001"}})
	bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "c2", Caller: caller, Start: now, Answer: now, Queue: "sales", Disposition: acd.DispositionAbandoned}})
	bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "c3", Caller: caller, Start: now}})
	// An internal caller is never texted.
	bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "c4", Caller: acd.Party{Number: "201", Source: acd.SourceExtension}, Start: now}})
	missed := i18n.T(i18n.EN, "messaging.notify.missed", "ACME")
	waitFor(t, "missed-call text", func() bool { return len(sentTo(boxSim, customer)) == 1 })
	if got := sentTo(boxSim, customer)[0]; got != missed {
		t.Fatalf("text %q", got)
	}

	// A callback booked for a Chinese-speaking caller: texted in Chinese.
	cb := store.Callback{ID: "cb1", Queue: "sales", Number: "+8613933330003", Lang: i18n.ZH, Joined: now, CreatedAt: now, State: "pending"}
	if _, err := store.Put(b.st, cb); err != nil {
		t.Fatal(err)
	}
	want := i18n.T(i18n.ZH, "messaging.notify.callback", "ACME")
	waitFor(t, "callback text", func() bool { return len(sentTo(boxSim, cb.Number)) == 1 })
	if got := sentTo(boxSim, cb.Number)[0]; got != want {
		t.Fatalf("text %q", got)
	}
	// Its later updates send nothing more.
	cb.State = "offered"
	if _, err := store.Put(b.st, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.QueueSMS(b.st, cb.Number, "marker", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "marker", func() bool { return len(sentTo(boxSim, cb.Number)) == 2 })
	if got := sentTo(boxSim, cb.Number); got[1] != "marker" || len(sentTo(boxSim, customer)) != 1 {
		t.Fatalf("extra notifications: %q", got)
	}
}

func TestService_ModemThatStopsAnsweringIsResetAndQueueGoesOut(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	delays := make([]time.Duration, 10)
	for i := range delays {
		delays[i] = 300 * time.Millisecond
	}
	b := newBox(t, messaging.Config{RetryDelays: delays})
	b.addLine("gsm0", boxSim, "")
	b.start()
	b.lineUp("gsm0", true, false)
	boxSim.Hang(false) // deaf until ATZ
	m, err := b.svc.SendSMS(context.Background(), customer, "Your appointment is at 10:30 tomorrow.")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sent after the reset", func() bool {
		s := b.message(m.ID).State
		return s == store.StateSent || s == store.StateDelivered
	})
	st := b.svc.Status()
	if len(st) != 1 || st[0].Modem.Resets < 1 {
		t.Fatalf("status %+v", st)
	}
	if got := sentTo(boxSim, customer); len(got) != 1 {
		t.Fatalf("sent %d times", len(got))
	}
}

func TestService_MessageWaitingOnModemInAlarmMovesToAWorkingModem(t *testing.T) {
	net, boxSim, _ := gsmNet(t)
	second, err := net.Add(modemsim.Config{Number: "+8613911110009", SMS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	b := newBox(t, messaging.Config{RetryDelays: []time.Duration{time.Hour, time.Hour}})
	b.addLine("gsm0", boxSim, "")
	b.addLine("gsm1", second, "")
	b.start()
	b.lineUp("gsm0", true, false)
	b.lineUp("gsm1", true, false)
	boxSim.Hang(true) // dead until a power cycle, and the board has none
	// Queued for the broken modem, as a reply on its line would be.
	now := time.Now()
	queued := store.Message{ID: "sms-out-alarm", Channel: store.ChannelSMS, Direction: store.DirectionOut, Number: customer,
		Line: "gsm0", Text: "moved", State: store.StateQueued, CreatedAt: now, NextAttempt: now}
	if _, err := store.Put(b.st, queued); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sent by the other modem", func() bool {
		s := b.message(queued.ID).State
		return s == store.StateSent || s == store.StateDelivered
	})
	if got := b.message(queued.ID); got.Line != "gsm1" || got.Attempts != 2 {
		t.Fatalf("record %+v", got)
	}
	if len(sentTo(second, customer)) != 1 || len(sentTo(boxSim, customer)) != 0 {
		t.Fatal("sent by the wrong modem")
	}
}

func TestService_AssignHandsNewConversationToTheAgentTheQueuePicks(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	var asked []string
	b := newBox(t, messaging.Config{Assign: func(_ context.Context, queue string, c messaging.Conversation) string {
		asked = append(asked, queue+" "+c.Key)
		return "1001"
	}})
	b.addLine("gsm0", boxSim, "support")
	if _, err := store.Put(b.st, store.Agent{ID: "1001", Name: "Han Meimei", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	b.start()
	b.lineUp("gsm0", true, false)
	for _, txt := range []string{"my printer is broken", "still broken"} {
		if err := boxSim.Deliver(sms.Deliver{From: customer, Text: txt}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two events", func() bool { return len(b.eventsOf(kindSMS)) == 2 })
	for _, ev := range b.eventsOf(kindSMS) {
		if ev.Agent != "1001" || ev.Queue != "support" {
			t.Fatalf("event %+v", ev)
		}
	}
	// Asked once: the second message went to the agent who holds the thread.
	b.stop()
	if len(asked) != 1 || asked[0] != "support "+customer {
		t.Fatalf("asked %q", asked)
	}
	if c, err := messaging.Get(b.st, customer); err != nil || c.Agent != "1001" {
		t.Fatalf("conversation %+v, %v", c, err)
	}
}
