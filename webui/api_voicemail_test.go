package webui

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"callbox/acd/voicemail"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/wav"
)

// vmFixture is a finished setup with mailbox 201 (Alice, agent
// 1001 with login alice) holding two messages, mailbox 202 (Bob) empty,
// and the server wired to the mailboxes.
func vmFixture(t *testing.T) (*fixture, *voicemail.Store) {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	vm, err := voicemail.Open(t.TempDir(), voicemail.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "v1.2.3-test", Voicemail: vm})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	if _, err := store.PutAll(f.st,
		store.Extension{Number: "201", Name: "Alice", Secret: "Sip-Secret-201x", Voicemail: true},
		store.Extension{Number: "202", Name: "Bob", Secret: "Sip-Secret-202x", Voicemail: true},
		store.Agent{ID: "1001", Name: "Alice", User: "alice", Extension: "201", Enabled: true},
	); err != nil {
		t.Fatal(err)
	}
	f.addUser("alice", store.RoleAgent, testPassword, false)
	for range 2 {
		dep, err := vm.Begin("201", "13800001111")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := wav.Write(&b, wav.Header{Format: wav.FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, bytes.Repeat([]byte{0xff}, 8000)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dep.Path(), b.Bytes(), 0o640); err != nil {
			t.Fatal(err)
		}
		if _, err := dep.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return f, vm
}

// greetingWAV is a 16-bit PCM WAV at rate Hz lasting d.
func vmGreetingWAV(t *testing.T, rate uint32, d time.Duration) []byte {
	t.Helper()
	var b bytes.Buffer
	n := int(d * time.Duration(rate) / time.Second)
	if err := wav.Write(&b, wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: rate, BitsPerSample: 16}, make([]byte, 2*n)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVoicemailAPI_AdminListsBoxesPlaysSavesAndDeletesMessages(t *testing.T) {
	f, vm := vmFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	boxes := decode[[]voicemail.BoxInfo](t, b.get("/api/v1/voicemail/boxes"))
	if len(boxes) != 2 || boxes[0].Mailbox != "201" || boxes[0].New != 2 || boxes[0].Owner != "1001" || boxes[1].Mailbox != "202" {
		t.Fatalf("boxes %+v", boxes)
	}
	ms := decode[[]vmMessageJSON](t, b.get("/api/v1/voicemail/boxes/201/messages"))
	if len(ms) != 2 || ms[0].DurationMs != 1000 || ms[0].From != "13800001111" || ms[0].Folder != voicemail.FolderNew {
		t.Fatalf("messages %+v", ms)
	}
	audio := b.get("/api/v1/voicemail/boxes/201/messages/" + ms[0].ID + "/audio")
	wantStatus(t, audio, http.StatusOK)
	if audio.Header.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(audio.Body, "RIFF") {
		t.Fatalf("audio: %s, %q...", audio.Header.Get("Content-Type"), audio.Body[:min(8, len(audio.Body))])
	}
	wantStatus(t, b.raw(http.MethodPost, "/api/v1/voicemail/boxes/201/messages/"+ms[0].ID+"/save", nil), http.StatusNoContent)
	wantStatus(t, b.raw(http.MethodDelete, "/api/v1/voicemail/boxes/201/messages/"+ms[1].ID, nil), http.StatusNoContent)
	wantStatus(t, b.raw(http.MethodDelete, "/api/v1/voicemail/boxes/201/messages/"+ms[1].ID, nil), http.StatusNotFound)
	sum, err := vm.Summary("201")
	if err != nil || sum.Voice.New != 0 || sum.Voice.Old != 1 || sum.Waiting {
		t.Fatalf("summary after save and delete %+v, %v", sum, err)
	}
	wantStatus(t, b.get("/api/v1/voicemail/boxes/999/messages"), http.StatusNotFound)
	wantStatus(t, b.get("/api/v1/voicemail/boxes/..%2Fetc/messages"), http.StatusNotFound)
}

func TestVoicemailAPI_AgentReachesOnlyTheBoxOfTheirExtension(t *testing.T) {
	f, _ := vmFixture(t)
	b := f.browser()
	b.login("alice", testPassword)
	boxes := decode[[]voicemail.BoxInfo](t, b.get("/api/v1/voicemail/boxes"))
	if len(boxes) != 1 || boxes[0].Mailbox != "201" {
		t.Fatalf("agent sees boxes %+v, want 201 only", boxes)
	}
	wantStatus(t, b.get("/api/v1/voicemail/boxes/201/messages"), http.StatusOK)
	r := b.get("/api/v1/voicemail/boxes/202/messages")
	wantStatus(t, r, http.StatusForbidden)
	if !strings.Contains(r.Body, i18n.T(i18n.EN, "vm.api.not-yours")) {
		t.Errorf("403 body %s", r.Body)
	}
	wantStatus(t, b.raw(http.MethodPut, "/api/v1/voicemail/boxes/202/greetings/name", bytes.NewReader(vmGreetingWAV(t, 8000, time.Second))), http.StatusForbidden)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/voicemail/boxes/201/pin", vmPINJSON{PIN: "4739"}), http.StatusForbidden)
}

func TestVoicemailAPI_GreetingsUploadPlayRemoveAndRefuseBadFiles(t *testing.T) {
	f, vm := vmFixture(t)
	b := f.browser()
	b.login("alice", testPassword)
	const base = "/api/v1/voicemail/boxes/201/greetings/"
	wantStatus(t, b.get(base+"busy"), http.StatusNotFound)

	// A raw body at 16 kHz.
	r := b.raw(http.MethodPut, base+"busy", bytes.NewReader(vmGreetingWAV(t, 16000, 3*time.Second)))
	wantStatus(t, r, http.StatusOK)
	if g := decode[vmGreetingJSON](t, r); g.Kind != voicemail.GreetingBusy || g.DurationMs < 2900 || g.DurationMs > 3100 {
		t.Fatalf("upload answer %+v", g)
	}
	// A browser's file input.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "name.wav")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(vmGreetingWAV(t, 8000, time.Second))
	mw.Close()
	r = b.do(http.MethodPut, base+"name", &form, http.Header{"Content-Type": {mw.FormDataContentType()}, "X-Csrf-Token": {b.csrf}})
	wantStatus(t, r, http.StatusOK)
	if g := vm.Greetings("201"); !g[voicemail.GreetingBusy] || !g[voicemail.GreetingName] || g[voicemail.GreetingUnavailable] {
		t.Fatalf("greetings after upload %v", g)
	}
	play := b.get(base + "busy")
	wantStatus(t, play, http.StatusOK)
	if h, err := wav.ParseHeader(strings.NewReader(play.Body)); err != nil || h.SampleRate != 8000 || h.Channels != 1 {
		t.Fatalf("played greeting %+v, %v: want the converted 8 kHz mono file", h, err)
	}
	box := decode[voicemail.BoxInfo](t, b.get("/api/v1/voicemail/boxes/201"))
	if !box.Greetings[voicemail.GreetingBusy] || !box.Greetings[voicemail.GreetingName] {
		t.Errorf("box %+v", box)
	}

	for _, tc := range []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"not wav", []byte("ID3\x04 definitely an mp3"), http.StatusBadRequest, i18n.T(i18n.EN, "vm.api.bad-audio")},
		{"too long", vmGreetingWAV(t, 8000, voicemail.MaxGreetingTime+time.Second), http.StatusBadRequest, i18n.T(i18n.EN, "vm.api.too-long", 120)},
		{"too short", vmGreetingWAV(t, 8000, 100*time.Millisecond), http.StatusBadRequest, i18n.T(i18n.EN, "vm.api.too-short")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.raw(http.MethodPut, base+"unavailable", bytes.NewReader(tc.body))
			wantStatus(t, r, tc.code)
			if e := decode[map[string]string](t, r)["error"]; e != tc.want {
				t.Errorf("error %q, want %q", e, tc.want)
			}
		})
	}
	wantStatus(t, b.raw(http.MethodPut, base+"holiday", bytes.NewReader(vmGreetingWAV(t, 8000, time.Second))), http.StatusNotFound)
	wantStatus(t, b.raw(http.MethodDelete, base+"busy", nil), http.StatusNoContent)
	wantStatus(t, b.get(base+"busy"), http.StatusNotFound)
	if g := vm.Greetings("201"); g[voicemail.GreetingBusy] || g[voicemail.GreetingUnavailable] {
		t.Fatalf("greetings after remove and refused uploads %v", g)
	}
}

func TestVoicemailAPI_AdminResetsAndClearsThePIN(t *testing.T) {
	f, _ := vmFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/voicemail/boxes/201/pin", vmPINJSON{PIN: "1234"}), http.StatusBadRequest)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/voicemail/boxes/201/pin", vmPINJSON{PIN: "4739"}), http.StatusNoContent)
	e, err := store.Get[store.Extension](f.st, "201")
	if err != nil || !e.CheckVoicemailPIN("4739") || e.CheckVoicemailPIN("0000") {
		t.Fatalf("PIN not set: %v", err)
	}
	if box := decode[voicemail.BoxInfo](t, b.get("/api/v1/voicemail/boxes/201")); !box.HasPIN {
		t.Error("box does not show its PIN")
	}
	wantStatus(t, b.json(http.MethodPost, "/api/v1/voicemail/boxes/201/pin", vmPINJSON{}), http.StatusNoContent)
	if e, _ := store.Get[store.Extension](f.st, "201"); e.VoicemailPIN != "" {
		t.Error("PIN not cleared")
	}
}

func TestVoicemailAPI_WithoutMailboxesAnswers503(t *testing.T) {
	_, b := adminBrowser(t)
	wantStatus(t, b.get("/api/v1/voicemail/boxes"), http.StatusServiceUnavailable)
}
