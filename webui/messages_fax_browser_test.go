package webui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd/messaging"
	"callbox/drivers/modem"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/modemsim"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/t4"
)

const (
	boxFaxNumber = "+862150550001"
	farFaxNumber = "+862150550002"
)

// faxRig is the box's messaging service on a simulated fax modem, and a
// fax machine outside (a second simulated modem with the real driver and
// fax service) that answers and keeps what it receives.
type faxRig struct {
	mu       sync.Mutex
	received []store.Message
}

func newFaxRig(t *testing.T, st *store.Store) *faxRig {
	t.Helper()
	net := modemsim.NewNetwork("+8613800100500")
	sim := messaging.NewSimulator(net)
	t.Cleanup(func() { sim.Close() })
	if _, err := store.Put(st, store.Line{ID: "fax0", Name: "Fax", Type: store.LineGSM, Device: "sim:fax0", Number: boxFaxNumber,
		Route: "sales", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	svc, err := messaging.New(messaging.Config{Store: st, Open: sim.Open, RetryDelays: []time.Duration{100 * time.Millisecond},
		ModemOptions: []modem.Option{modem.WithTimeout(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = svc.Run(ctx) }()

	// The fax machine outside, on its own store and directory.
	rig := &faxRig{}
	farSim, err := net.Add(modemsim.Config{Number: farFaxNumber, Fax: true, Manufacturer: "USRobotics", Model: "Courier"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	farStore, err := store.Open(filepath.Join(dir, "far.db"))
	if err != nil {
		t.Fatal(err)
	}
	port, err := modem.OpenSerial(farSim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	m := modem.New(port, modem.WithName("far"), modem.WithInit(fax.InitCommands...))
	far := fax.NewService(m, farStore, "far", dir, farFaxNumber, fax.WithHandler(func(_ context.Context, msg store.Message, _ fax.Received) {
		rig.mu.Lock()
		rig.received = append(rig.received, msg)
		rig.mu.Unlock()
	}))
	wg.Add(2)
	go func() { defer wg.Done(); m.Run(ctx) }()
	go func() { defer wg.Done(); far.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		farSim.Close()
		farStore.Close()
	})
	// Both modems answer before the browser starts.
	deadline := time.Now().Add(15 * time.Second)
	for {
		up := m.State() == modem.StateReady
		for _, s := range svc.Status() {
			up = up && s.Line == "fax0" && s.Fax && s.Modem.State == modem.StateReady
		}
		if up && len(svc.Status()) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("modems not ready: %+v", svc.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rig
}

func (r *faxRig) got() []store.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Message(nil), r.received...)
}

// twoPagePDF is a PDF of two drawn fax pages, as a scanner would make.
func twoPagePDF(t *testing.T) []byte {
	t.Helper()
	var pages []*t4.Page
	for n := range 2 {
		p, err := t4.NewPage(t4.Width, 300, t4.Standard)
		if err != nil {
			t.Fatal(err)
		}
		for y := 50 + 100*n; y < 90+100*n; y++ {
			for x := 200; x < 1500; x++ {
				p.Set(x, y, true)
			}
		}
		pages = append(pages, p)
	}
	var b bytes.Buffer
	if err := t4.WritePDF(&b, pages); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBrowser_FaxSentFromThePageReachesTheFarMachineAndShowsSent(t *testing.T) {
	ctx := newChromium(t)
	shots := screenshotDir(t)
	f := newFixture(t)
	f.finishSetup()
	f.addUser("amy", store.RoleAgent, testPassword, false)
	if _, err := store.Put(f.st, store.Agent{ID: "1001", Name: "Amy", User: "amy", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	rig := newFaxRig(t, f.st)
	base := runServer(t, f)

	files := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pdf := write("quote.pdf", twoPagePDF(t))
	empty := write("blank.tif", nil)
	notPDF := write("letter.pdf", []byte("Dear customer, this is plain text."))

	browserLogin(t, ctx, base, "amy", "/fax")

	// Bad uploads come back with the reason next to the file field.
	for _, c := range []struct{ file, key string }{{empty, "fax.error.empty"}, {notPDF, "fax.error.format"}} {
		step(t, ctx, "bad upload "+filepath.Base(c.file),
			chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{c.file}),
			chromedp.SetValue(chromedp.ID("f-number"), farFaxNumber))
		submit(t, ctx, "send "+filepath.Base(c.file), "#f-send")
		waitJS(t, ctx, "file error", jsEq("#e-file", i18n.T(i18n.EN, c.key)))
	}
	shot(t, ctx, shots, "fax-bad-upload-en")
	if msgs, _ := store.List[store.Message](f.st); len(msgs) != 0 {
		t.Fatalf("a bad upload was queued: %+v", msgs)
	}

	// A two-page PDF to the far machine: queued, then sent, on the page
	// without reloading it.
	step(t, ctx, "fill fax",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{pdf}),
		chromedp.SetValue(chromedp.ID("f-number"), farFaxNumber))
	submit(t, ctx, "send fax", "#f-send")
	waitJS(t, ctx, "queued notice", `document.querySelector("#sent-notice") !== null`)
	msgs, err := store.List[store.Message](f.st)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("queued %+v, %v", msgs, err)
	}
	id := msgs[0].ID
	row := `document.getElementById("fax-` + id + `")`
	// A fax takes a few seconds over the simulated line: a longer wait
	// than waitJS's.
	sctx, cancel := context.WithTimeout(ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](row+` && ["sent", "delivered"].includes(`+row+`.dataset.state)`, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		m, _ := store.Get[store.Message](f.st, id)
		t.Fatalf("fax not shown sent: %v; stored %+v", err, m)
	}
	shot(t, ctx, shots, "fax-sent-en")
	if got := evalJS[string](t, ctx, row+`.cells[3].textContent.trim()`); got != strconv.Itoa(2) {
		t.Fatalf("pages shown %q", got)
	}
	if got := evalJS[string](t, ctx, row+`.cells[4].textContent.trim()`); !strings.HasPrefix(got, "sent") {
		t.Fatalf("state shown %q", got)
	}
	in := rig.got()
	if len(in) != 1 || in[0].Pages != 2 {
		t.Fatalf("the far machine received %+v", in)
	}
	// Nothing left to wait for: the list stops polling.
	waitJS(t, ctx, "polling stops", `!document.querySelector("#outbox").hasAttribute("hx-get")`)
}
