package webui

import (
	"errors"
	"net/url"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// wrapUpKind is the wrap-up codes' admin page (/admin/wrapups): the
// outcomes agents choose from after a call, with their labels in both
// languages and the queues they belong to. The agent console reads them
// with store.WrapUpsFor.
func wrapUpKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "code", Type: "text", Key: true, Hint: "admin.h.code"},
			{Name: "labelEn", Type: "text", Hint: "admin.h.labels"},
			{Name: "labelZh", Type: "text"},
			{Name: "queues", Type: "lines", Hint: "admin.h.queues"},
			{Name: "noteRequired", Type: "check"},
			{Name: "followUp", Type: "check"},
			{Name: "disabled", Type: "check"},
		}
	}
	to := func(w store.WrapUp) url.Values {
		return url.Values{"code": {w.Code}, "labelEn": {w.LabelEN}, "labelZh": {w.LabelZH}, "queues": {strings.Join(w.Queues, "\n")},
			"noteRequired": {check(w.NoteRequired)}, "followUp": {check(w.FollowUp)}, "disabled": {check(w.Disabled)}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.WrapUp {
		w := store.WrapUp{Code: strings.TrimSpace(f.Get("code")), LabelEN: strings.TrimSpace(f.Get("labelEn")), LabelZH: strings.TrimSpace(f.Get("labelZh")),
			Queues: lines(f.Get("queues")), NoteRequired: f.Get("noteRequired") == "on", FollowUp: f.Get("followUp") == "on", Disabled: f.Get("disabled") == "on"}
		// A queue that does not exist would silently hide the code.
		for _, q := range w.Queues {
			if _, err := store.Get[store.Queue](s.store, q); errors.Is(err, store.ErrNotFound) {
				errs["queues"] = i18n.T(lang, "wrapup.err.queue", q)
				break
			}
		}
		return w
	}
	return newKind("wrapups", fields, []string{"code", "labelEn", "labelZh", "queues", "noteRequired", "followUp", "disabled"}, url.Values{}, to, from)
}
