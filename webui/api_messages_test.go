package webui

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callbox/acd/messaging"
	"callbox/firmware/store"
)

// upload posts a fax document as a browser form would.
func (b *browser) upload(name string, data []byte) reply {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("name", name)
	fw, err := mw.CreateFormFile("file", name+".bin")
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	h := http.Header{"Content-Type": {mw.FormDataContentType()}, "X-Csrf-Token": {b.csrf}}
	return b.do(http.MethodPost, "/api/v1/fax/documents", &body, h)
}

func onePagePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 400, 560))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 20; x < 380; x++ {
		img.Pix[100*img.Stride+x] = 0
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMessagesAPI_FaxDocumentsUploadListSendAndRefuseBadFiles(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	admin := f.browser()
	admin.login("admin", testPassword)

	wantStatus(t, admin.upload("empty", nil), http.StatusBadRequest)
	r := admin.upload("notes", []byte("%PDF? no, plain text"))
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, "TIFF, PNG, PBM or PDF") {
		t.Fatalf("unclear error: %s", r.Body)
	}
	wantStatus(t, admin.upload("../x", onePagePNG(t)), http.StatusBadRequest)
	r = admin.upload("menu", onePagePNG(t))
	wantStatus(t, r, http.StatusCreated)
	if d := decode[messaging.Document](t, r); d.Name != "menu" || d.Pages != 1 {
		t.Fatalf("document %+v", d)
	}
	docs := decode[[]messaging.Document](t, admin.get("/api/v1/fax/documents"))
	if len(docs) != 1 || docs[0].Name != "menu" {
		t.Fatalf("documents %+v", docs)
	}
	r = admin.get("/api/v1/fax/documents/menu/preview")
	wantStatus(t, r, http.StatusOK)
	if _, err := png.Decode(strings.NewReader(r.Body)); err != nil {
		t.Fatalf("preview: %v", err)
	}

	wantStatus(t, admin.json(http.MethodPost, "/api/v1/fax", faxInput{Number: "+862150550002", Document: "nope"}), http.StatusNotFound)
	r = admin.json(http.MethodPost, "/api/v1/fax", faxInput{Number: "+862150550002", Document: "menu"})
	wantStatus(t, r, http.StatusAccepted)
	m := decode[store.Message](t, r)
	if m.State != store.StateQueued || m.Channel != store.ChannelFax || m.Pages != 1 || m.Line != "" {
		t.Fatalf("queued %+v", m)
	}
	// The job's state is there to poll.
	if got := decode[store.Message](t, admin.get("/api/v1/messages/"+m.ID)); got.ID != m.ID || got.State != store.StateQueued {
		t.Fatalf("job %+v", got)
	}
	// Agents may not upload documents, only admins delete them.
	f.addUser("amy", store.RoleAgent, testPassword, false)
	agent := f.browser()
	agent.login("amy", testPassword)
	wantStatus(t, agent.upload("menu2", onePagePNG(t)), http.StatusForbidden)
	wantStatus(t, agent.json(http.MethodDelete, "/api/v1/fax/documents/menu", nil), http.StatusForbidden)
	wantStatus(t, admin.json(http.MethodDelete, "/api/v1/fax/documents/menu", nil), http.StatusNoContent)

	// A received fax, as the fax service stores it, is in the inbox with
	// its image.
	now := f.clock.Now()
	in := store.Message{ID: "fax-in-1", Channel: store.ChannelFax, Direction: store.DirectionIn, Number: "+862150550002",
		Path: "fax/in/fax-in-1.tif", Pages: 1, State: store.StateReceived, CreatedAt: now, UpdatedAt: now}
	if _, err := store.Put(f.st, in); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(messaging.DataDir(f.st), "fax/in"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(messaging.DataDir(f.st), "fax/in/fax-in-1.png"), onePagePNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	items := decode[[]messaging.FaxItem](t, agent.get("/api/v1/fax/inbox"))
	if len(items) != 1 || items[0].Message.ID != "fax-in-1" || items[0].Preview != "fax/in/fax-in-1.png" {
		t.Fatalf("inbox %+v", items)
	}
	r = agent.get("/api/v1/messages/fax-in-1/image")
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
	wantStatus(t, agent.get("/api/v1/messages/fax-in-1/image?format=tiff"), http.StatusNotFound)
}

func TestMessagesAPI_SMSAndConversationClaimAndReply(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	for _, a := range []store.Agent{{ID: "1001", Name: "Amy", User: "amy", Enabled: true}, {ID: "1002", Name: "Bob", User: "bob", Enabled: true}} {
		if _, err := store.Put(f.st, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Put(f.st, store.Line{ID: "gsm0", Type: store.LineGSM, Device: "/dev/ttyUSB0", Route: "sales", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	// A message as the SMS service stores it.
	now := f.clock.Now()
	in := store.Message{ID: "sms-in-1", Channel: store.ChannelSMS, Direction: store.DirectionIn, Number: "+8613922220002",
		Line: "gsm0", Text: "Is my order ready?", State: store.StateReceived, CreatedAt: now, UpdatedAt: now}
	if _, err := store.Put(f.st, in); err != nil {
		t.Fatal(err)
	}
	f.addUser("amy", store.RoleAgent, testPassword, false)
	f.addUser("bob", store.RoleAgent, testPassword, false)
	amy, bob := f.browser(), f.browser()
	amy.login("amy", testPassword)
	bob.login("bob", testPassword)

	r := amy.json(http.MethodPost, "/api/v1/sms", smsInput{Number: "call me", Text: "hi"})
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, `"number"`) {
		t.Fatalf("no field error: %s", r.Body)
	}
	r = amy.json(http.MethodPost, "/api/v1/sms", smsInput{Number: "+8613933330003", Text: "Your parcel is on its way."})
	wantStatus(t, r, http.StatusAccepted)
	if m := decode[store.Message](t, r); m.State != store.StateQueued || m.Line != "" {
		t.Fatalf("queued %+v", m)
	}
	// Agents do not browse every message; supervisors do.
	wantStatus(t, amy.get("/api/v1/messages"), http.StatusForbidden)

	convs := decode[[]messaging.Conversation](t, amy.get("/api/v1/conversations?queue=sales"))
	if len(convs) != 1 || convs[0].Key != "+8613922220002" || convs[0].Agent != "" || convs[0].Waiting != 1 {
		t.Fatalf("conversations %+v", convs)
	}
	key := "/api/v1/conversations/" + convs[0].Key
	r = amy.json(http.MethodPost, key+"/claim", claimInput{})
	wantStatus(t, r, http.StatusOK)
	if c := decode[messaging.Conversation](t, r); c.Agent != "1001" {
		t.Fatalf("claimed %+v", c)
	}
	wantStatus(t, bob.json(http.MethodPost, key+"/claim", claimInput{}), http.StatusConflict)
	wantStatus(t, bob.json(http.MethodPost, key+"/reply", replyInput{Text: "me too"}), http.StatusConflict)
	r = amy.json(http.MethodPost, key+"/reply", replyInput{Text: "Yes, it ships today."})
	wantStatus(t, r, http.StatusAccepted)
	if m := decode[store.Message](t, r); m.Line != "gsm0" || m.Number != "+8613922220002" {
		t.Fatalf("reply %+v", m)
	}
	got := decode[conversationJSON](t, amy.get(key))
	if len(got.Messages) != 2 || got.Conversation.Waiting != 0 || got.Conversation.Agent != "1001" {
		t.Fatalf("thread %+v", got)
	}
	wantStatus(t, amy.get("/api/v1/conversations/+8610000000000"), http.StatusNotFound)
	// The admin hands it to Bob.
	admin := f.browser()
	admin.login("admin", testPassword)
	r = admin.json(http.MethodPost, key+"/claim", claimInput{Agent: "1002"})
	wantStatus(t, r, http.StatusOK)
	if c := decode[messaging.Conversation](t, r); c.Agent != "1002" {
		t.Fatalf("reassigned %+v", c)
	}
	if msgs := decode[[]store.Message](t, admin.get("/api/v1/messages?channel=sms&direction=out")); len(msgs) != 2 {
		t.Fatalf("outbound %d", len(msgs))
	}
}
