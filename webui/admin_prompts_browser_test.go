package webui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// playable loads the first player matching sel and waits until chromium
// has decoded the audio's length: the CSP lets it load and the served WAV
// is one the browser plays.
func playable(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	q := `document.querySelector(` + jsQuote(sel) + `)`
	step(t, ctx, "load "+sel, chromedp.Evaluate[chromedp.Void](`(() => { const a = `+q+`; a.preload = "auto"; a.load(); })()`))
	waitJS(t, ctx, "audio of "+sel, `(() => { const a = `+q+`; return a.readyState >= 1 && a.duration > 0.1 && !a.error; })()`)
}

func jsQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func TestBrowser_PromptsVoicemailAndWrapUpPagesInBothLanguages(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f, _, _ := vmPagesFixture(t)
	promptSeed(t, f)
	if _, err := store.Put(f.st, store.WrapUp{Code: "complaint", LabelEN: "Complaint", LabelZH: "投诉", NoteRequired: true, FollowUp: true}); err != nil {
		t.Fatal(err)
	}
	base := runServer(t, f)
	bad := filepath.Join(t.TempDir(), "stereo.wav")
	stereo := pcm16k
	stereo.Channels = 2
	if err := os.WriteFile(bad, toneFile(t, stereo, 440, time.Second), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "hello.wav")
	if err := os.WriteFile(good, toneFile(t, pcm16k, 440, 2*time.Second), 0o644); err != nil {
		t.Fatal(err)
	}

	step(t, ctx, "open login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "admin"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)
	waitJS(t, ctx, "home", `location.pathname === "/"`)

	for _, lang := range i18n.Langs {
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		name := func(page string) string { return "wa1-" + page + "-" + string(lang) }

		// The list in the page's own language, with players that play.
		step(t, ctx, "prompts", chromedp.Navigate(base+"/admin/prompts?lang="+string(lang)), chromedp.WaitVisible(chromedp.CSS(`audio`)))
		if got := text(t, ctx, `nav.side a.current`); got != i18n.T(lang, "admin.menu.prompts") {
			t.Errorf("current menu entry %q", got)
		}
		playable(t, ctx, `audio[src$="/welcome/audio"]`)
		shot(t, ctx, dir, name("prompts"))
		step(t, ctx, "scroll to system prompts", chromedp.ScrollIntoView(chromedp.CSS(`audio[src$="/welcome/audio"]`)))
		shot(t, ctx, dir, name("prompts-system"))

		// A stereo file is refused next to the file field.
		step(t, ctx, "prompt", chromedp.Navigate(base+"/admin/prompts/"+string(lang)+"/welcome"), chromedp.WaitVisible(chromedp.ID("f-file")))
		step(t, ctx, "choose stereo", chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{bad}))
		submit(t, ctx, "upload stereo", `form[action$="/upload"] button.primary`)
		waitJS(t, ctx, "file message", `document.querySelector("#e-file") !== null`)
		if got := text(t, ctx, `#e-file`); got != i18n.T(lang, "prompts.err.format", "WAV PCM 16-bit 16000 Hz 2 channels") {
			t.Errorf("file message %q", got)
		}
		shot(t, ctx, dir, name("prompt-refused"))

		// A good one replaces it; the page plays both recordings.
		step(t, ctx, "choose mono", chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{good}))
		submit(t, ctx, "upload mono", `form[action$="/upload"] button.primary`)
		waitJS(t, ctx, "saved", `document.querySelector("p.notice") !== null`)
		playable(t, ctx, `audio[src$="/welcome/audio"]`)
		playable(t, ctx, `audio[src$="builtin=1"]`)
		shot(t, ctx, dir, name("prompt"))

		// Voicemail: the boxes, then 201 with its messages and greetings.
		step(t, ctx, "boxes", chromedp.Navigate(base+"/admin/voicemail"), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
		shot(t, ctx, dir, name("voicemail"))
		step(t, ctx, "box", chromedp.Navigate(base+"/admin/voicemail/box/201"), chromedp.WaitVisible(chromedp.CSS(`audio`)))
		playable(t, ctx, `audio[src*="/messages/"]`)
		shot(t, ctx, dir, name("voicemail-box"))
		step(t, ctx, "weak pin", chromedp.SendKeys(chromedp.ID("f-pin"), "1111"))
		submit(t, ctx, "set pin", `form[action$="/pin"] button.primary`)
		waitJS(t, ctx, "pin message", `document.querySelector("#e-pin") !== null`)
		step(t, ctx, "scroll to pin", chromedp.ScrollIntoView(chromedp.ID("e-pin")))
		shot(t, ctx, dir, name("voicemail-pin"))

		// Wrap-up codes: the list and the form with a message.
		step(t, ctx, "wrapups", chromedp.Navigate(base+"/admin/wrapups"), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
		shot(t, ctx, dir, name("wrapups"))
		step(t, ctx, "wrapup form", chromedp.Navigate(base+"/admin/wrapups/new"), chromedp.WaitVisible(chromedp.ID("f-code")))
		step(t, ctx, "fill", chromedp.SendKeys(chromedp.ID("f-code"), "refund"), chromedp.SendKeys(chromedp.ID("f-queues"), "nowhere"))
		submit(t, ctx, "save", `form.admin-form button.primary`)
		waitJS(t, ctx, "queue message", `document.querySelector("#e-queues") !== null`)
		shot(t, ctx, dir, name("wrapup-form"))
	}
}
