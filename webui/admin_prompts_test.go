package webui

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/prompt"
	"callbox/media/wav"
)

// postFile posts a multipart form with a file field "file", adding the
// last CSRF token seen unless fields has one.
func (b *browser) postFile(target string, fields url.Values, name string, file []byte) reply {
	b.t.Helper()
	if _, ok := fields["csrf"]; !ok {
		fields.Set("csrf", b.csrf)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			b.t.Fatal(err)
		}
		if _, err := fw.Write(file); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.do(http.MethodPost, target, &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

// toneFile is a WAV file of a freq tone lasting d.
func toneFile(t testing.TB, h wav.Header, freq float64, d time.Duration) []byte {
	t.Helper()
	n := int(d.Seconds() * float64(h.SampleRate))
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/float64(h.SampleRate)))
	}
	var data []byte
	switch {
	case h.Format == wav.FormatPCM && h.BitsPerSample == 16:
		for _, v := range x {
			for range h.Channels {
				data = binary.LittleEndian.AppendUint16(data, uint16(v))
			}
		}
	case h.Format == wav.FormatPCM && h.BitsPerSample == 8:
		for _, v := range x {
			data = append(data, byte(int(v)>>8+128))
		}
	default: // G.711: only the size matters to the tests that use it
		data = make([]byte, n)
		for i := range data {
			data[i] = byte(i)
		}
	}
	var b bytes.Buffer
	if err := wav.Write(&b, h, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	pcm16k = wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 16000, BitsPerSample: 16}
	pcm8k  = wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16}
)

// promptPosts are the prompt, voicemail and wrap-up endpoints that change
// something, with a form each would accept (files added by upload).
var promptPosts = []string{
	"/admin/prompts/add", "/admin/prompts/regenerate", "/admin/prompts/en/welcome/upload",
	"/admin/prompts/en/welcome/speak", "/admin/prompts/en/welcome/revert", "/admin/wrapups/new", "/admin/wrapups/sale",
	"/admin/wrapups/sale/delete",
}

// promptPages are the pages of this part an admin sees.
var promptPages = []string{
	"/admin/prompts", "/admin/prompts?lang=zh", "/admin/prompts/en/welcome", "/admin/prompts/zh/goodbye",
	"/admin/prompts/en/price-list", "/admin/wrapups", "/admin/wrapups/new", "/admin/wrapups/sale",
}

// promptSeed stores a custom prompt and a wrap-up code with HTML in their
// free text.
func promptSeed(t *testing.T, f *fixture) {
	t.Helper()
	audio, d, err := prompt.Convert(bytes.NewReader(toneFile(t, pcm8k, 700, time.Second)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Record{
		store.Queue{Name: "sales", Strategy: store.StrategyRingAll},
		store.CustomPrompt{Lang: i18n.EN, Name: "price-list", Audio: audio, Source: store.PromptUpload, Text: "Prices " + xss, Millis: int(d.Milliseconds()), UpdatedAt: f.clock.Now(), UpdatedBy: "admin"},
		store.WrapUp{Code: "sale", LabelEN: "Sale " + xss, LabelZH: "成交", Queues: []string{"sales"}},
	} {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
}

func promptsAdmin(t *testing.T) (*fixture, *browser) {
	t.Helper()
	f, _ := newAdminFixture(t)
	f.finishSetup()
	promptSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	return f, b
}

func auditActions(t *testing.T, f *fixture) []string {
	t.Helper()
	all, err := store.List[store.Audit](f.st)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range all {
		out = append(out, a.Action+" "+a.Name)
	}
	return out
}

func TestPrompts_EveryPageRendersInBothLanguagesWithStoredHTMLEscaped(t *testing.T) {
	f, b := promptsAdmin(t)
	for _, lang := range i18n.Langs {
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		for _, p := range promptPages {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK)
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("%s (%s): stored HTML is not escaped", p, lang)
			}
			if k := rawKey.FindString(r.Body); k != "" {
				t.Errorf("%s (%s): catalogue key %q shown as is", p, lang, k)
			}
			if strings.HasPrefix(p, "/admin/prompts") && !strings.Contains(r.Header.Get("Content-Security-Policy"), "media-src 'self'") {
				t.Errorf("%s: the players may not load audio: %s", p, r.Header.Get("Content-Security-Policy"))
			}
		}
		if r := b.get("/admin"); !strings.Contains(r.Body, `href="/admin/prompts"`) || !strings.Contains(r.Body, msg(lang, "admin.menu.vm")) ||
			!strings.Contains(r.Body, msg(lang, "web.kind.wrapups")) {
			t.Errorf("%s: the admin menu lacks the prompts, voicemail or wrap-up entries", lang)
		}
	}
}

func TestPrompts_ListHasEverySystemPromptOfTheLanguageWithAPlayer(t *testing.T) {
	_, b := promptsAdmin(t)
	for _, lang := range prompt.Languages {
		entries, err := prompt.NewLibrary("").Entries(lang)
		if err != nil {
			t.Fatal(err)
		}
		r := b.get("/admin/prompts?lang=" + lang)
		wantStatus(t, r, http.StatusOK)
		for _, e := range entries {
			if !strings.Contains(r.Body, `src="/admin/prompts/`+lang+`/`+e.Key+`/audio"`) {
				t.Fatalf("%s: no player for %s", lang, e.Key)
			}
		}
		custom := strings.Contains(r.Body, `/admin/prompts/`+lang+`/price-list/audio`)
		if custom != (lang == "en") {
			t.Errorf("%s: the English custom prompt listed: %v", lang, custom)
		}
	}
}

func TestPrompts_AudioIsServedAsPCMTheBrowserPlays(t *testing.T) {
	_, b := promptsAdmin(t)
	for _, p := range []string{"/admin/prompts/zh/welcome/audio", "/admin/prompts/en/price-list/audio"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusOK)
		rd, err := wav.NewReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h := rd.Header(); h.Format != wav.FormatPCM || h.BitsPerSample != 16 || r.Header.Get("Content-Type") != "audio/wav" {
			t.Fatalf("%s: %+v %s", p, h, r.Header.Get("Content-Type"))
		}
	}
	wantStatus(t, b.get("/admin/prompts/en/no-such-prompt/audio"), http.StatusNotFound)
	wantStatus(t, b.get("/admin/prompts/fr/welcome"), http.StatusNotFound)
}

func TestPrompts_UploadReplacesASystemPromptAndRevertBringsBackTheBuiltIn(t *testing.T) {
	f, b := promptsAdmin(t)
	b.get("/admin/prompts/zh/welcome")
	r := b.postFile("/admin/prompts/zh/welcome/upload", url.Values{}, "welcome.wav", toneFile(t, pcm16k, 1000, 1500*time.Millisecond))
	wantRedirect(t, r, "/admin/prompts/zh/welcome?done=admin.done.prompt_saved")
	p, err := store.Get[store.CustomPrompt](f.st, "zh/welcome")
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != store.PromptUpload || p.Millis != 1500 || p.UpdatedBy != "admin" {
		t.Errorf("stored %+v", p)
	}
	rd, err := wav.NewReader(bytes.NewReader(p.Audio))
	if err != nil || rd.Header().Format != wav.FormatMuLaw || rd.Header().SampleRate != 8000 {
		t.Fatalf("stored audio is not 8 kHz μ-law: %v %+v", err, rd)
	}
	// The page plays the upload, converted, and the built-in beside it.
	page := b.get("/admin/prompts/zh/welcome")
	if !strings.Contains(page.Body, "/admin/prompts/zh/welcome/audio?builtin=1") || !strings.Contains(page.Body, msg(i18n.EN, "prompts.state.upload")) {
		t.Error("the page shows no built-in player or upload state")
	}
	played := b.get("/admin/prompts/zh/welcome/audio")
	pr, err := wav.NewReader(strings.NewReader(played.Body))
	if err != nil {
		t.Fatal(err)
	}
	var x []int16
	var fr media.Frame
	for pr.ReadFrame(&fr) == nil {
		x = append(x, fr[:]...)
	}
	if d := audiotest.Dominant(x[400:len(x)-400], 100, 3900); math.Abs(d-1000) > 3 {
		t.Errorf("the player plays %v Hz, want the uploaded 1000 Hz", d)
	}

	wantRedirect(t, b.post("/admin/prompts/zh/welcome/revert", url.Values{}), "/admin/prompts/zh/welcome?done=admin.done.prompt_reverted")
	if store.HasCustomPrompt(f.st, i18n.ZH, "welcome") {
		t.Fatal("revert kept the upload")
	}
	acts := strings.Join(auditActions(t, f), ",")
	if !strings.Contains(acts, "upload-prompt zh/welcome") || !strings.Contains(acts, "revert-prompt zh/welcome") {
		t.Errorf("audit: %s", acts)
	}
}

func TestPrompts_UploadRefusesWhatCallsCannotPlayWithAMessageNextToTheFile(t *testing.T) {
	f, b := promptsAdmin(t)
	stereo := pcm16k
	stereo.Channels = 2
	cd := wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 44100, BitsPerSample: 16}
	silent := toneFile(t, pcm8k, 0, time.Second)
	for _, tc := range []struct {
		name string
		file []byte
		key  string
		args []any
	}{
		{"none", nil, "prompts.err.file_missing", nil},
		{"mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00 mp3 frames"), "prompts.err.not_wav", nil},
		{"stereo", toneFile(t, stereo, 440, time.Second), "prompts.err.format", []any{"WAV PCM 16-bit 16000 Hz 2 channels"}},
		{"44.1k", toneFile(t, cd, 440, time.Second), "prompts.err.format", []any{"WAV PCM 16-bit 44100 Hz mono"}},
		{"silent", silent, "prompts.err.silent", nil},
		{"short", toneFile(t, pcm8k, 440, 100*time.Millisecond), "prompts.err.too_short", []any{0.2}},
		{"long", toneFile(t, pcm8k, 440, maxPromptLength+time.Second), "prompts.err.too_long", []any{120}},
		{"truncated", toneFile(t, pcm8k, 440, time.Second)[:30], "prompts.err.not_wav", nil},
	} {
		b.get("/admin/prompts/en/goodbye")
		r := b.postFile("/admin/prompts/en/goodbye/upload", url.Values{}, tc.name+".wav", tc.file)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		want := `<p class="error" id="e-file">` + msg(i18n.EN, tc.key, tc.args...) + `</p>`
		if !strings.Contains(r.Body, want) {
			t.Errorf("%s: no %q next to the file field", tc.name, want)
		}
	}
	if store.HasCustomPrompt(f.st, i18n.EN, "goodbye") {
		t.Fatal("a refused upload was stored")
	}
	// G.711 at 8 kHz is taken as it is.
	ulaw := toneFile(t, wav.Header{Format: wav.FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, 0, time.Second)
	wantRedirect(t, b.postFile("/admin/prompts/en/goodbye/upload", url.Values{}, "g711.wav", ulaw), "/admin/prompts/en/goodbye?done=")
}

func TestPrompts_AddedCustomPromptIsFoundByTheIVRCheck(t *testing.T) {
	f, b := promptsAdmin(t)
	lib := prompt.NewLibrary(t.TempDir())
	exists := prompt.Exists(f.st, lib)
	if exists("zh", "menu-sales") {
		t.Fatal("exists before the upload")
	}
	b.get("/admin/prompts?lang=zh")
	r := b.postFile("/admin/prompts/add", url.Values{"lang": {"zh"}, "name": {"menu-sales"}, "text": {"销售请按1"}}, "m.wav", toneFile(t, pcm8k, 500, time.Second))
	wantRedirect(t, r, "/admin/prompts/zh/menu-sales?done=admin.done.prompt_saved")
	if !exists("zh", "menu-sales") || exists("en", "menu-sales") {
		t.Fatal("the IVR's prompt check does not see the new zh prompt (only)")
	}
	// Bad and taken names are refused next to the name field.
	for name, key := range map[string]string{"Menu Sales": "store.err.prompt_name", "welcome": "prompts.err.exists", "menu-sales": "prompts.err.exists"} {
		r := b.postFile("/admin/prompts/add", url.Values{"lang": {"zh"}, "name": {name}}, "m.wav", toneFile(t, pcm8k, 500, time.Second))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		var args []any
		if key == "store.err.prompt_name" {
			args = []any{64}
		}
		if !strings.Contains(r.Body, `<p class="error" id="e-name">`+msg(i18n.EN, key, args...)) {
			t.Errorf("%q: no %s message next to the name", name, key)
		}
	}
	// Deleting a custom prompt removes it.
	wantRedirect(t, b.post("/admin/prompts/zh/menu-sales/revert", url.Values{}), "/admin/prompts?lang=zh&done=admin.done.prompt_removed")
	if exists("zh", "menu-sales") {
		t.Fatal("deleted prompt still exists")
	}
}

func TestPrompts_WithoutEspeakTheSpeechFormsSaySoAndStoreNothing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f, b := promptsAdmin(t)
	r := b.get("/admin/prompts/en/welcome")
	if !strings.Contains(r.Body, msg(i18n.EN, "prompts.no_speech")) {
		t.Error("the prompt page does not say text-to-speech is missing")
	}
	r = b.post("/admin/prompts/en/welcome/speak", url.Values{"text": {"Welcome"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, `id="e-text">`+msg(i18n.EN, "prompts.no_speech")) {
		t.Error("speak: no message next to the text")
	}
	r = b.post("/admin/prompts/regenerate", url.Values{"lang": {"en"}})
	wantStatus(t, r, http.StatusConflict)
	if n, _ := store.List[store.CustomPrompt](f.st); len(n) != 1 {
		t.Fatalf("prompts stored without speech: %d", len(n))
	}
}

func TestPrompts_SpeakStoresTheTextSpokenAsThePrompt(t *testing.T) {
	if !prompt.CanSpeak("en") {
		t.Skip("espeak-ng is not installed")
	}
	f, b := promptsAdmin(t)
	b.get("/admin/prompts/en/welcome")
	wantStatus(t, b.post("/admin/prompts/en/welcome/speak", url.Values{"text": {""}}), http.StatusUnprocessableEntity)
	wantRedirect(t, b.post("/admin/prompts/en/welcome/speak", url.Values{"text": {"Welcome to the shop."}}), "/admin/prompts/en/welcome?done=")
	p, err := store.Get[store.CustomPrompt](f.st, "en/welcome")
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != store.PromptSpoken || p.Text != "Welcome to the shop." || p.Millis < 500 {
		t.Fatalf("stored %+v", p)
	}
	if !strings.Contains(strings.Join(auditActions(t, f), ","), "speak-prompt en/welcome") {
		t.Error("no audit entry")
	}
}

func TestPrompts_RegenerateSpeaksEverySystemPromptButKeepsUploads(t *testing.T) {
	if !prompt.CanSpeak("zh") {
		t.Skip("espeak-ng is not installed")
	}
	if testing.Short() {
		t.Skip("speaks a whole language")
	}
	f, b := promptsAdmin(t)
	b.get("/admin/prompts?lang=zh")
	wantRedirect(t, b.postFile("/admin/prompts/zh/goodbye/upload", url.Values{}, "g.wav", toneFile(t, pcm8k, 900, time.Second)), "/admin/prompts/zh/goodbye?done=")
	upload, _ := store.Get[store.CustomPrompt](f.st, "zh/goodbye")
	r := b.post("/admin/prompts/regenerate", url.Values{"lang": {"zh"}})
	entries, _ := prompt.NewLibrary("").Entries("zh")
	if r.StatusCode == http.StatusInternalServerError {
		t.Skipf("this machine spoke too slowly to finish in %v: %s", regenerateTime, r.Body[:200])
	}
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, msg(i18n.EN, "prompts.regen_done", len(entries)-1)) {
		t.Error("no done notice")
	}
	all, _ := store.List[store.CustomPrompt](f.st)
	spoken := 0
	for _, p := range all {
		if p.Lang == i18n.ZH && p.Source == store.PromptSpoken {
			spoken++
		}
	}
	if spoken != len(entries)-1 {
		t.Errorf("%d spoken, want %d", spoken, len(entries)-1)
	}
	if again, _ := store.Get[store.CustomPrompt](f.st, "zh/goodbye"); !bytes.Equal(again.Audio, upload.Audio) {
		t.Error("the uploaded recording was spoken over")
	}
}

func TestPrompts_AgentsAndSupervisorsGet403AndPostsWithoutCSRFAreRefused(t *testing.T) {
	f, b := promptsAdmin(t)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	before := len(auditActions(t, f))
	for _, who := range []string{"ann", "sam"} {
		o := f.browser()
		o.login(who, testPassword)
		for _, p := range promptPages {
			wantStatus(t, o.get(p), http.StatusForbidden)
		}
		wantStatus(t, o.get("/admin/prompts/zh/welcome/audio"), http.StatusForbidden)
		for _, p := range promptPosts {
			wantStatus(t, o.postFile(p, url.Values{"lang": {"en"}, "name": {"x"}, "text": {"x"}, "code": {"x"}, "labelEn": {"x"}}, "x.wav", toneFile(t, pcm8k, 440, time.Second)), http.StatusForbidden)
		}
	}
	for _, p := range promptPosts {
		for _, token := range []string{"", "forged-token-of-the-right-length-000000000"} {
			r := b.postFile(p, url.Values{"csrf": {token}, "lang": {"en"}, "name": {"x"}, "code": {"x"}, "labelEn": {"x"}}, "x.wav", toneFile(t, pcm8k, 440, time.Second))
			wantStatus(t, r, http.StatusForbidden)
		}
	}
	if after := len(auditActions(t, f)); after != before {
		t.Fatalf("refused requests wrote %d audit entries", after-before)
	}
	if n, _ := store.List[store.CustomPrompt](f.st); len(n) != 1 {
		t.Fatalf("refused requests stored prompts: %d", len(n))
	}
}

func TestWrapUps_AdminCreatesACodeWithMessagesNextToBadFieldsAndTheConsoleListSeesIt(t *testing.T) {
	f, b := promptsAdmin(t)
	b.get("/admin/wrapups/new")
	r := b.post("/admin/wrapups/new", url.Values{"code": {"bad code"}, "queues": {"sales\nnowhere"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for field, text := range map[string]string{
		"code":    msg(i18n.EN, "store.err.name", 64),
		"queues":  msg(i18n.EN, "wrapup.err.queue", "nowhere"),
		"labelEn": msg(i18n.EN, "store.err.required"),
	} {
		if !strings.Contains(r.Body, `id="e-`+field+`">`+text) {
			t.Errorf("no %q next to %s", text, field)
		}
	}
	r = b.post("/admin/wrapups/new", url.Values{"code": {"complaint"}, "labelZh": {"投诉"}, "queues": {"sales"}, "noteRequired": {"on"}, "followUp": {"on"}})
	wantRedirect(t, r, "/admin/wrapups")
	ws, err := store.WrapUpsFor(f.st, "sales")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Code != "complaint" || !ws[0].NoteRequired || !ws[0].FollowUp || ws[0].Label(i18n.EN) != "投诉" {
		t.Fatalf("codes for sales: %+v", ws)
	}
	if !strings.Contains(strings.Join(auditActions(t, f), ","), "complaint") {
		t.Error("no audit entry")
	}
	list := b.get("/admin/wrapups")
	if !strings.Contains(list.Body, "complaint") || strings.Contains(list.Body, "<script>alert") {
		t.Error("the list lacks the code or shows HTML unescaped")
	}
}

func FuzzCheckPromptUpload(f *testing.F) {
	f.Add(toneFile(f, pcm8k, 440, 300*time.Millisecond))
	f.Add(toneFile(f, pcm16k, 440, 300*time.Millisecond))
	f.Add(toneFile(f, wav.Header{Format: wav.FormatALaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, 0, 300*time.Millisecond))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt "))
	f.Fuzz(func(t *testing.T, data []byte) {
		audio, d, key, _ := checkPromptUpload(data)
		if key != "" {
			if !i18n.Has(key) {
				t.Fatalf("message key %q is not in the catalogue", key)
			}
			return
		}
		if d < minPromptLength || d > maxPromptLength {
			t.Fatalf("accepted %v", d)
		}
		rd, err := wav.NewReader(bytes.NewReader(audio))
		if err != nil || rd.Header().Format != wav.FormatMuLaw {
			t.Fatalf("accepted audio is not μ-law: %v", err)
		}
		if _, err := io.Copy(io.Discard, bytes.NewReader(audio)); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkPrompts_ListPage renders the English list: every shipped prompt
// with its length, plus the stored ones.
func BenchmarkPrompts_ListPage(b *testing.B) {
	f, _ := newAdminFixture(b)
	f.finishSetup()
	audio, d, err := prompt.Convert(bytes.NewReader(toneFile(b, pcm8k, 700, time.Second)), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"welcome", "price-list", "menu-sales"} {
		p := store.CustomPrompt{Lang: i18n.EN, Name: name, Audio: audio, Source: store.PromptUpload, Millis: int(d.Milliseconds()), UpdatedAt: f.clock.Now()}
		if _, err := store.Put(f.st, p); err != nil {
			b.Fatal(err)
		}
	}
	br := f.browser()
	br.login("admin", testPassword)
	for b.Loop() {
		if r := br.get("/admin/prompts?lang=en"); r.StatusCode != http.StatusOK {
			b.Fatal(r.StatusCode)
		}
	}
}

func TestPrompts_AddWithoutAFileSpeaksTheText(t *testing.T) {
	if !prompt.CanSpeak("en") {
		t.Skip("espeak-ng is not installed")
	}
	f, b := promptsAdmin(t)
	b.get("/admin/prompts")
	r := b.postFile("/admin/prompts/add", url.Values{"lang": {"en"}, "name": {"holiday-hours"}, "text": {"We are closed for the holiday."}}, "", nil)
	wantRedirect(t, r, "/admin/prompts/en/holiday-hours?done=admin.done.prompt_saved")
	p, err := store.Get[store.CustomPrompt](f.st, "en/holiday-hours")
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != store.PromptSpoken || p.Millis < 500 {
		t.Fatalf("stored %+v", p)
	}
	// Neither file nor text: the file is asked for.
	r = b.postFile("/admin/prompts/add", url.Values{"lang": {"en"}, "name": {"empty-one"}}, "", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, `id="e-file">`+msg(i18n.EN, "prompts.err.file_missing")) {
		t.Error("no message next to the file")
	}
}
