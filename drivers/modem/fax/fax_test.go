package fax_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/ccitt"
	"golang.org/x/image/tiff"

	"callbox/drivers/modem"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/modemsim"
	"callbox/firmware/store"
	"callbox/media/t4"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// station is one fax machine: simulated fax modem, real driver on its
// pseudo-terminal, store, data directory and fax service.
type station struct {
	sim   *modemsim.Modem
	m     *modem.Modem
	st    *store.Store
	dir   string
	svc   *fax.Service
	mu    sync.Mutex
	inbox []fax.Received
	msgs  []store.Message
}

func (s *station) received() ([]fax.Received, []store.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fax.Received(nil), s.inbox...), append([]store.Message(nil), s.msgs...)
}

func newStation(t *testing.T, net *modemsim.Network, number string) *station {
	t.Helper()
	sim, err := net.Add(modemsim.Config{Number: number, Fax: true, Manufacturer: "USRobotics", Model: "Courier"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	s := &station{sim: sim, dir: t.TempDir()}
	if s.st, err = store.Open(filepath.Join(s.dir, "callbox.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.st.Close() })
	port, err := modem.OpenSerial(sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	s.m = modem.New(port, modem.WithName("fax0"), modem.WithInit(fax.InitCommands...))
	s.svc = fax.NewService(s.m, s.st, "fax0", s.dir, number, fax.WithRetryDelays(time.Millisecond),
		fax.WithHandler(func(_ context.Context, m store.Message, r fax.Received) {
			s.mu.Lock()
			s.inbox, s.msgs = append(s.inbox, r), append(s.msgs, m)
			s.mu.Unlock()
		}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.m.Run(ctx) }()
	waitFor(t, "modem ready", func() bool { return s.m.State() == modem.StateReady })
	go func() { defer wg.Done(); s.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}

// drawPage makes a page with text-like strokes, a frame and a page number
// in dots, different on each page.
func drawPage(t *testing.T, n, height int, res t4.Resolution) *t4.Page {
	t.Helper()
	p, err := t4.NewPage(t4.Width, height, res)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < height; y++ {
		for x := 0; x < t4.Width; x++ {
			frame := x < 8 || x >= t4.Width-8 || y < 4 || y >= height-4
			stroke := y%24 < 3 && (x/(17+n))%3 != 0 && y > 60
			dot := y > 20 && y < 50 && x > 40 && x < 40+60*n && (x/30)%2 == 0
			p.Set(x, y, frame || stroke || dot)
		}
	}
	return p
}

func TestFax_ThreePagesFromOneSimulatedModemToTheOther(t *testing.T) {
	net := modemsim.NewNetwork("")
	a := newStation(t, net, "+862150550001")
	b := newStation(t, net, "+862150550002")
	pages := []*t4.Page{drawPage(t, 1, 1143, t4.Standard), drawPage(t, 2, 2287, t4.Fine), drawPage(t, 3, 600, t4.Standard)}
	var doc bytes.Buffer
	if err := t4.WriteTIFF(&doc, pages); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "offer.tif"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sent, err := a.svc.Send(context.Background(), "+862150550002", "offer.tif")
	if err != nil {
		t.Fatal(err)
	}
	if sent.Pages != 3 || sent.State != store.StateQueued {
		t.Fatalf("queued %+v", sent)
	}
	waitFor(t, "fax at b", func() bool { r, _ := b.received(); return len(r) == 1 })
	recs, msgs := b.received()
	rec, msg := recs[0], msgs[0]
	if rec.RemoteID != "+862150550001" || rec.Hangup != "00" || rec.Partial || len(rec.Pages) != 3 {
		t.Fatalf("received %+v", rec)
	}
	// Each page as it came off the line decodes with x/image/ccitt to the
	// page that was sent.
	for i, p := range pages {
		r := ccitt.NewReader(bytes.NewReader(rec.Raw[i]), ccitt.LSB, ccitt.Group3, p.Width, p.Height, &ccitt.Options{Invert: true})
		pix, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("page %d: ccitt: %v", i+1, err)
		}
		got := &t4.Page{Width: p.Width, Height: p.Height, Stride: p.Stride, Pix: pix}
		if !got.Equal(p) {
			t.Fatalf("page %d differs after the line", i+1)
		}
		if rec.Pages[i].Resolution != p.Resolution {
			t.Fatalf("page %d resolution %v, want %v", i+1, rec.Pages[i].Resolution, p.Resolution)
		}
	}
	// The stored TIFF-F has the same pages, and x/image/tiff reads it.
	if msg.Pages != 3 || msg.State != store.StateReceived || msg.Number != "+862150550001" || msg.Path == "" {
		t.Fatalf("inbound record %+v", msg)
	}
	data, err := os.ReadFile(filepath.Join(b.dir, msg.Path))
	if err != nil {
		t.Fatal(err)
	}
	back, err := t4.ReadTIFF(data)
	if err != nil || len(back) != 3 {
		t.Fatalf("stored TIFF: %d pages, %v", len(back), err)
	}
	for i := range pages {
		if !back[i].Equal(pages[i]) || back[i].Resolution != pages[i].Resolution {
			t.Fatalf("stored page %d differs", i+1)
		}
	}
	if _, err := tiff.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("x/image/tiff: %v", err)
	}
	if got, err := store.Get[store.Message](b.st, msg.ID); err != nil || got.Path != msg.Path {
		t.Fatalf("record in store: %+v %v", got, err)
	}
	waitFor(t, "sender's record delivered", func() bool {
		m, err := store.Get[store.Message](a.st, sent.ID)
		return err == nil && m.State == store.StateDelivered
	})
}

func TestFax_BadDocumentsAreRefusedAndModemKeepsWorking(t *testing.T) {
	net := modemsim.NewNetwork("")
	a := newStation(t, net, "+862150550001")
	b := newStation(t, net, "+862150550002")
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(a.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.tif", nil)
	write("broken.pdf", []byte("%PDF-1.4\nthis is not really a PDF\n"))
	write("notes.txt", []byte("hello"))
	write("bad.tif", []byte("II*\x00\x08\x00\x00\x00\x01\x00"))
	ctx := context.Background()
	for name, want := range map[string]error{
		"empty.tif": fax.ErrEmptyDocument, "notes.txt": fax.ErrUnknownFormat, "bad.tif": t4.ErrNotTIFF, "broken.pdf": fax.ErrBadPDF,
	} {
		if name == "broken.pdf" {
			if _, err := exec.LookPath("pdftoppm"); err != nil {
				want = fax.ErrNoRasterizer
			}
		}
		if _, err := a.svc.Send(ctx, "+862150550002", name); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
	}
	if n, _ := store.List[store.Message](a.st); len(n) != 0 {
		t.Fatalf("%d messages queued from bad documents", len(n))
	}
	// Garbage on the line does not stop the next fax.
	a.sim.SendGarbage([]byte("\xff\x00\x10\x03garbage\r\n+FHS:\r\n"))
	var png bytes.Buffer
	if err := encodePNG(&png); err != nil {
		t.Fatal(err)
	}
	write("logo.png", png.Bytes())
	if _, err := a.svc.Send(ctx, "+862150550002", "logo.png"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fax at b", func() bool { r, _ := b.received(); return len(r) == 1 })
	recs, _ := b.received()
	if len(recs[0].Pages) != 1 || recs[0].Pages[0].Width != t4.Width {
		t.Fatalf("received %+v", recs[0])
	}
}

func TestLoadDocument_RendersPDFAtFaxResolution(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (poppler-utils) not installed")
	}
	for _, res := range []t4.Resolution{t4.Standard, t4.Fine} {
		pages, err := fax.LoadDocument(context.Background(), minimalPDF(2), res)
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != 2 || pages[0].Width != t4.Width || pages[0].Resolution != res {
			t.Fatalf("%v: %d pages", res, len(pages))
		}
		// A4 is 11.69 inches long.
		if want := int(11.69 * float64(res.LinesPerInch())); pages[0].Height < want-3 || pages[0].Height > want+3 {
			t.Fatalf("%v: height %d, want about %d", res, pages[0].Height, want)
		}
		black := 0
		for y := 0; y < pages[0].Height; y++ {
			for x := 0; x < pages[0].Width; x++ {
				if pages[0].Black(x, y) {
					black++
				}
			}
		}
		if black == 0 {
			t.Fatalf("%v: the filled rectangle did not render", res)
		}
	}
}

// minimalPDF builds an n-page A4 PDF, each page with a filled rectangle.
func minimalPDF(n int) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n")
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n))
	for i := 0; i < n; i++ {
		stream := fmt.Sprintf("0 0 0 rg %d 500 200 100 re f", 100+50*i)
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>", 4+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func TestFax_UnreachableNumberIsRetriedThenFails(t *testing.T) {
	net := modemsim.NewNetwork("")
	a := newStation(t, net, "+862150550001")
	var doc bytes.Buffer
	if err := t4.WriteTIFF(&doc, []*t4.Page{drawPage(t, 1, 200, t4.Standard)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "note.tif"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := a.svc.Send(context.Background(), "+862150559999", "note.tif")
	if err != nil {
		t.Fatal(err)
	}
	var got store.Message
	waitFor(t, "final failure", func() bool {
		got, _ = store.Get[store.Message](a.st, m.ID)
		return got.State == store.StateFailed
	})
	if got.Attempts != 2 || !strings.Contains(got.LastError, "no carrier") {
		t.Fatalf("record %+v", got)
	}
	// The modem is still fine for the next fax.
	if a.m.State() != modem.StateReady {
		t.Fatalf("modem %s", a.m.State())
	}
}
