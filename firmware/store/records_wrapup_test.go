package store

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"callbox/firmware/i18n"
)

// validWrapUpRecords are valid wrap-up codes and custom prompts, for the
// table of every kind in records_test.go.
func validWrapUpRecords() []Record {
	wav := append([]byte("RIFF\x2c\x00\x00\x00WAVEfmt "), make([]byte, 40)...)
	return []Record{
		WrapUp{Code: "sale", LabelEN: "Sale", LabelZH: "成交", Queues: []string{"sales"}, FollowUp: true},
		CustomPrompt{Lang: i18n.ZH, Name: "welcome-shop", Audio: wav, Source: PromptUpload, Text: "欢迎", Millis: 1200, UpdatedAt: t0, UpdatedBy: "admin"},
	}
}

func TestWrapUp_RefusesBadCodesLabelsAndQueueLists(t *testing.T) {
	for _, tc := range []struct {
		w     WrapUp
		field string
	}{
		{WrapUp{LabelEN: "x"}, "code"},
		{WrapUp{Code: "bad code", LabelEN: "x"}, "code"},
		{WrapUp{Code: "ok"}, "labelEn"},
		{WrapUp{Code: "ok", LabelZH: strings.Repeat("长", 65)}, "labelZh"},
		{WrapUp{Code: "ok", LabelEN: "x", Queues: []string{"sales", "sales"}}, "queues"},
		{WrapUp{Code: "ok", LabelEN: "x", Queues: []string{"no spaces"}}, "queues"},
	} {
		var ve *ValidationError
		err := tc.w.Validate()
		if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(f FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%+v: got %v, want an error on %s", tc.w, err, tc.field)
		}
	}
}

func TestWrapUp_LabelFallsBackToTheOtherLanguage(t *testing.T) {
	w := WrapUp{Code: "c", LabelZH: "投诉"}
	if got := w.Label(i18n.EN); got != "投诉" {
		t.Errorf("en label %q, want the Chinese one", got)
	}
	w.LabelEN = "Complaint"
	if w.Label(i18n.EN) != "Complaint" || w.Label(i18n.ZH) != "投诉" {
		t.Errorf("labels %q %q", w.Label(i18n.EN), w.Label(i18n.ZH))
	}
}

func TestWrapUpsFor_OffersGeneralCodesAndTheQueuesOwnButNotDisabledOnes(t *testing.T) {
	s := openTemp(t)
	for _, w := range []WrapUp{
		{Code: "info", LabelEN: "Information"},
		{Code: "sale", LabelEN: "Sale", Queues: []string{"sales"}},
		{Code: "refund", LabelEN: "Refund", Queues: []string{"support"}},
		{Code: "old", LabelEN: "Old", Disabled: true},
	} {
		if _, err := Put(s, w); err != nil {
			t.Fatal(err)
		}
	}
	codes := func(queue string) []string {
		ws, err := WrapUpsFor(s, queue)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range ws {
			out = append(out, w.Code)
		}
		return out
	}
	if got := codes("sales"); !slices.Equal(got, []string{"info", "sale"}) {
		t.Errorf("sales: %v", got)
	}
	if got := codes(""); !slices.Equal(got, []string{"info"}) {
		t.Errorf("no queue: %v", got)
	}
}

func TestCustomPrompt_RefusesBadNamesAndNonWAVAudio(t *testing.T) {
	good := validWrapUpRecords()[1].(CustomPrompt)
	for _, tc := range []struct {
		edit  func(*CustomPrompt)
		field string
	}{
		{func(p *CustomPrompt) { p.Name = "Welcome" }, "name"},
		{func(p *CustomPrompt) { p.Name = "../x" }, "name"},
		{func(p *CustomPrompt) { p.Lang = "fr" }, "lang"},
		{func(p *CustomPrompt) { p.Audio = []byte("ID3 not a wave file at all, mp3 maybe, long enough to pass") }, "audio"},
		{func(p *CustomPrompt) { p.Audio = make([]byte, MaxPromptAudio+1) }, "audio"},
		{func(p *CustomPrompt) { p.Source = PromptSpoken; p.Text = "" }, "text"},
		{func(p *CustomPrompt) { p.Source = "mic" }, "source"},
	} {
		p := good
		tc.edit(&p)
		var ve *ValidationError
		err := p.Validate()
		if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(f FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%s: got %v, want an error on %s", tc.field, err, tc.field)
		}
	}
}

func TestHasCustomPrompt_FindsAStoredPromptByLanguageAndName(t *testing.T) {
	s := openTemp(t)
	p := validWrapUpRecords()[1].(CustomPrompt)
	if _, err := Put(s, p); err != nil {
		t.Fatal(err)
	}
	if !HasCustomPrompt(s, i18n.ZH, "welcome-shop") || HasCustomPrompt(s, i18n.EN, "welcome-shop") {
		t.Error("HasCustomPrompt does not tell the languages apart")
	}
}
