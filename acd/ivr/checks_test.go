package ivr_test

import (
	"bytes"
	"testing"

	"callbox/acd/ivr"
	"callbox/firmware/store"
	"callbox/media/prompt"
	"callbox/media/wav"
)

func TestStoreChecks_KnowUploadedPromptsAndModemLines(t *testing.T) {
	st := openStore(t)
	lib := prompt.NewLibrary(t.TempDir()) // nothing mirrored into it yet
	chk := ivr.StoreChecks(st, lib)
	if chk.Prompt("en", "spring-sale") || !chk.Prompt("zh", "welcome") {
		t.Fatal("prompt lookups wrong before the upload")
	}
	var audio bytes.Buffer
	if err := wav.Write(&audio, wav.Header{Format: wav.FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, bytes.Repeat([]byte{0xff}, 8000)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.CustomPrompt{Lang: "en", Name: "spring-sale", Audio: audio.Bytes(), Source: store.PromptUpload, Millis: 1000}); err != nil {
		t.Fatal(err)
	}
	if !chk.Prompt("en", "spring-sale") || chk.Prompt("zh", "spring-sale") {
		t.Error("an uploaded prompt is not known in its language alone")
	}

	if ivr.FaxLine(st) {
		t.Error("a fax line without any line")
	}
	for _, l := range []store.Line{
		{ID: "fxo1", Name: "Exchange", Type: store.LineFXO, Device: "sim:1", Route: "ext:201", Enabled: true},
		{ID: "gsm0", Name: "Modem", Type: store.LineGSM, Device: "/dev/ttyUSB0", Enabled: false},
	} {
		if _, err := store.Put(st, l); err != nil {
			t.Fatal(err)
		}
	}
	if ivr.FaxLine(st) {
		t.Error("a fax line from an exchange line or a disabled modem")
	}
	if _, err := store.Put(st, store.Line{ID: "gsm0", Name: "Modem", Type: store.LineGSM, Device: "/dev/ttyUSB0", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if !ivr.FaxLine(st) {
		t.Error("no fax line with an enabled modem")
	}
}
