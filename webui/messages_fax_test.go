package webui

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// sendFax posts the fax page's form: a document name or a file, and a number.
func (b *browser) sendFax(document, filename string, data []byte, number string) reply {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", b.csrf)
	_ = mw.WriteField("document", document)
	_ = mw.WriteField("number", number)
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return b.do(http.MethodPost, "/fax", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

func faxAgent(t *testing.T) (*fixture, *browser) {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	f.addUser("amy", store.RoleAgent, testPassword, false)
	set, err := store.GetSettings(f.st)
	if err != nil {
		t.Fatal(err)
	}
	set.Country = "cn" // 110 is an emergency number
	for _, r := range []store.Record{
		set,
		store.Agent{ID: "1001", Name: "Amy", User: "amy", Enabled: true},
		goodExt(t, "201"),
	} {
		if _, err := store.PutAll(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	b := f.browser()
	b.login("amy", testPassword)
	wantStatus(t, b.get("/fax"), http.StatusOK)
	return f, b
}

func goodExt(t *testing.T, number string) store.Extension {
	t.Helper()
	return store.Extension{Number: number, Name: "Desk", Secret: "Zq7-rT2p-Lm9x"}
}

func TestFaxPage_BadUploadsAreExplainedNextToTheFileAndNothingIsQueued(t *testing.T) {
	f, b := faxAgent(t)
	cases := []struct {
		file string
		data []byte
		want string
	}{
		{"notes.pdf", []byte("this is plain text, not a PDF"), "fax.error.format"},
		{"empty.tif", nil, "fax.error.empty"},
		{"broken.tif", []byte("II*\x00\x08\x00\x00\x00\xff\xff"), "fax.error.format"},
	}
	for _, c := range cases {
		r := b.sendFax("", c.file, c.data, "+862150550002")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		body := html.UnescapeString(r.Body)
		i := strings.Index(body, `id="e-file"`)
		if i < 0 || !strings.Contains(body[i:], i18n.T(i18n.EN, c.want, 0)[:20]) {
			t.Errorf("%s: no clear message next to the file field:\n%s", c.file, body)
		}
	}
	msgs, err := store.List[store.Message](f.st)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("queued %+v, %v", msgs, err)
	}
}

func TestFaxPage_NumberIsCheckedByTheDialplan(t *testing.T) {
	_, b := faxAgent(t)
	for number, want := range map[string]string{
		"":        "store.err.required",
		"12ab":    "msg3.fax.err.number",
		"201":     "msg3.fax.err.internal",
		"110":     "msg3.fax.err.emergency",
		"+86 21x": "msg3.fax.err.number",
	} {
		r := b.sendFax("", "page.png", onePagePNG(t), number)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%q: status %d", number, r.StatusCode)
			continue
		}
		body := html.UnescapeString(r.Body)
		i := strings.Index(body, `id="e-number"`)
		if i < 0 || !strings.Contains(body[i:], i18n.T(i18n.EN, want)) {
			t.Errorf("%q: want %q next to the number", number, i18n.T(i18n.EN, want))
		}
	}
}

func TestFaxPage_UploadedDocumentIsQueuedAndListed(t *testing.T) {
	f, b := faxAgent(t)
	r := b.sendFax("", "Price list (2026).png", onePagePNG(t), "+862150550002")
	wantRedirect(t, r, "/fax?sent=")
	msgs, err := store.List[store.Message](f.st)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("queued %+v, %v", msgs, err)
	}
	m := msgs[0]
	if m.Channel != store.ChannelFax || m.State != store.StateQueued || m.Pages != 1 || m.Path != "fax/docs/Price-list--2026.tif" {
		t.Fatalf("message %+v", m)
	}
	// The agent who sent it is in the customer's history.
	if c, err := store.Get[store.Contact](f.st, m.ID); err != nil || c.Agent != "1001" {
		t.Fatalf("history %+v, %v", c, err)
	}
	page := b.get(r.Header.Get("Location"))
	if !strings.Contains(page.Body, `id="fax-`+m.ID+`" data-state="queued"`) || !strings.Contains(page.Body, `hx-get="/fax/outbox"`) {
		t.Fatalf("outbox not shown or not polling:\n%s", page.Body)
	}
	// The same file name again is a second document, not a replacement.
	wantRedirect(t, b.sendFax("", "Price list (2026).png", onePagePNG(t), "+862150550003"), "/fax?sent=")
	frag := b.get("/fax/outbox")
	if !strings.Contains(frag.Body, "Price-list--2026-2") || strings.Contains(frag.Body, "<html") {
		t.Fatalf("fragment:\n%s", frag.Body)
	}
	// Picking a stored document works without an upload.
	wantRedirect(t, b.sendFax("Price-list--2026", "", nil, "+862150550004"), "/fax?sent=")
	r = b.sendFax("", "", nil, "+862150550004")
	if wantStatus(t, r, http.StatusUnprocessableEntity); !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "msg3.fax.err.pick")) {
		t.Fatalf("no document chosen:\n%s", r.Body)
	}
}

func TestFaxPage_InboxShowsReceivedFaxesOfAQueue(t *testing.T) {
	f, b := faxAgent(t)
	for _, r := range []store.Record{
		store.Line{ID: "fax0", Type: store.LineGSM, Device: "sim:fax0", Route: "sales", Enabled: true},
		store.Line{ID: "fax1", Type: store.LineGSM, Device: "sim:fax1", Route: "care", Enabled: true},
		store.Message{ID: "fax-in-1", Channel: store.ChannelFax, Direction: store.DirectionIn, Number: "+862150550002", Line: "fax0",
			Path: "fax/in/fax-in-1.tif", Pages: 3, State: store.StateReceived, CreatedAt: f.clock.Now()},
		store.Message{ID: "fax-in-2", Channel: store.ChannelFax, Direction: store.DirectionIn, Number: "+862150550003", Line: "fax1",
			Path: "fax/in/fax-in-2.tif", Pages: 1, State: store.StateReceived, CreatedAt: f.clock.Now()},
	} {
		if _, err := store.PutAll(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	r := b.get("/fax/inbox?queue=sales")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `id="in-fax-in-1"`) || strings.Contains(r.Body, `id="in-fax-in-2"`) ||
		!strings.Contains(r.Body, `/api/v1/messages/fax-in-1/image?format=pdf`) {
		t.Fatalf("inbox of sales:\n%s", r.Body)
	}
	if r := b.get("/fax/inbox"); !strings.Contains(r.Body, `id="in-fax-in-2"`) {
		t.Fatalf("inbox of all queues:\n%s", r.Body)
	}
}
