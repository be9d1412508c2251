package webui

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"callbox/acd/voicemail"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The voicemail pages show every mailbox with its counts and greetings;
// a box's page plays and deletes its messages, plays, uploads and removes
// its greetings and resets its PIN. They call the same acd/voicemail
// functions as the JSON API (api_voicemail.go), on Config.Voicemail.

// auditVoicemail is the audit log's "of" for mailbox changes (mailboxes
// are files, not a store kind).
const auditVoicemail store.Kind = "voicemail"

func (s *Server) voicemailPageRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	up := p
	up.bodyLimit = voicemail.MaxGreetingBytes + 256<<10
	handle("GET /admin/voicemail", p, s.adminVoicemail)
	handle("GET /admin/voicemail/box/{box}", p, s.adminVoicemailBox)
	handle("GET /admin/voicemail/box/{box}/messages/{id}/audio", p, s.adminVoicemailAudio)
	handle("POST /admin/voicemail/box/{box}/messages/{id}/delete", p, s.adminVoicemailDelete)
	handle("GET /admin/voicemail/box/{box}/greetings/{kind}/audio", p, s.adminGreetingAudio)
	handle("POST /admin/voicemail/box/{box}/greetings/{kind}", up, s.adminGreetingUpload)
	handle("POST /admin/voicemail/box/{box}/greetings/{kind}/remove", p, s.adminGreetingRemove)
	handle("POST /admin/voicemail/box/{box}/pin", p, s.adminVoicemailPIN)
}

// vmBoxRow is one mailbox in the list.
type vmBoxRow struct {
	voicemail.BoxInfo
	KindLabel string
	Greetings []string // labels of the greetings set
}

// vmBoxesView is the content of the list page.
type vmBoxesView struct {
	On    bool // voicemail runs on this box
	Boxes []vmBoxRow
}

// vmMessageRow is one message on a box's page.
type vmMessageRow struct {
	ID, From, When, Length string
	New                    bool
	Audio                  string
}

// vmGreetingRow is one greeting on a box's page.
type vmGreetingRow struct {
	Kind, Label string
	Set         bool
	Audio       string
	Error       string
}

// vmBoxView is the content of a box's page.
type vmBoxView struct {
	Box       vmBoxRow
	Messages  []vmMessageRow
	Greetings []vmGreetingRow
	PINError  string
	FileHint  string
}

func (s *Server) adminVoicemail(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := vmBoxesView{On: s.cfg.Voicemail != nil}
	if v.On {
		boxes, err := voicemail.Boxes(s.store, s.cfg.Voicemail)
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		for _, b := range boxes {
			v.Boxes = append(v.Boxes, boxRow(rc.lang, b))
		}
	}
	s.adminRender(w, r, rc, http.StatusOK, "voicemail", "vmbox.title", adminPage{Notice: noticeOf(r, rc.lang), Page: v}, "")
}

func boxRow(lang i18n.Lang, b voicemail.BoxInfo) vmBoxRow {
	row := vmBoxRow{BoxInfo: b, KindLabel: i18n.T(lang, "vmbox.kind."+b.Kind)}
	for _, k := range voicemail.GreetingKinds {
		if b.Greetings[k] {
			row.Greetings = append(row.Greetings, i18n.T(lang, "vmbox.g."+string(k)))
		}
	}
	return row
}

// boxOf finds the {box} of the path; ok is false when a 404 or 503 has
// been written.
func (s *Server) boxOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (voicemail.BoxInfo, bool) {
	if s.cfg.Voicemail == nil {
		s.fail(w, r, rc, http.StatusServiceUnavailable, "vmbox.unavailable")
		return voicemail.BoxInfo{}, false
	}
	b, err := voicemail.Box(s.store, s.cfg.Voicemail, r.PathValue("box"))
	switch {
	case errors.Is(err, voicemail.ErrNoSuchBox), errors.Is(err, voicemail.ErrBadMailbox):
		s.notFound(w, r, rc)
		return b, false
	case err != nil:
		s.storeFail(w, r, rc, err)
		return b, false
	}
	return b, true
}

func (s *Server) adminVoicemailBox(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	s.renderVoicemailBox(w, r, rc, http.StatusOK, b, adminPage{Notice: noticeOf(r, rc.lang)}, "", "")
}

// renderVoicemailBox shows a box, with a message next to one greeting's
// upload (errKind) or the PIN field.
func (s *Server) renderVoicemailBox(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, b voicemail.BoxInfo, ap adminPage, errKind voicemail.GreetingKind, msg string) {
	msgs, err := s.cfg.Voicemail.List(b.Mailbox)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	loc := time.UTC
	if set, err := store.GetSettings(s.store); err == nil {
		loc = set.Location()
	}
	base := "/admin/voicemail/box/" + b.Mailbox
	v := vmBoxView{Box: boxRow(rc.lang, b), FileHint: i18n.T(rc.lang, "vmbox.file_hint", int(voicemail.MaxGreetingTime.Seconds()), voicemail.MaxGreetingBytes>>20)}
	for _, m := range msgs {
		v.Messages = append(v.Messages, vmMessageRow{ID: m.ID, From: m.From, When: m.CreatedAt.In(loc).Format("2006-01-02 15:04"),
			Length: seconds(rc.lang, m.Duration), New: m.Folder == voicemail.FolderNew, Audio: base + "/messages/" + m.ID + "/audio"})
	}
	for _, k := range voicemail.GreetingKinds {
		g := vmGreetingRow{Kind: string(k), Label: i18n.T(rc.lang, "vmbox.g."+string(k)), Set: b.Greetings[k],
			Audio: base + "/greetings/" + string(k) + "/audio"}
		if k == errKind {
			g.Error = msg
		}
		v.Greetings = append(v.Greetings, g)
	}
	if errKind == "" {
		v.PINError = msg
	}
	ap.Page = v
	allowMedia(w)
	s.adminRender(w, r, rc, code, "voicemail_box", "vmbox.title", ap, "")
}

func (s *Server) adminVoicemailAudio(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	msgs, err := s.cfg.Voicemail.List(b.Mailbox)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	for _, m := range msgs {
		if m.ID == r.PathValue("id") {
			// A caller's message is private: who listened is logged, as
			// for call recordings (once per play, not per seek).
			if rg := r.Header.Get("Range"); rg == "" || strings.HasPrefix(rg, "bytes=0-") {
				s.audit(r, rc, "vm-listen", auditVoicemail, b.Mailbox+"/"+m.ID, "from "+m.From)
			}
			s.serveFile(w, r, rc, s.cfg.Voicemail.AudioPath(m))
			return
		}
	}
	s.notFound(w, r, rc)
}

// serveFile plays a WAV file in the browser (servePlayable).
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rc *reqCtx, path string) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		s.notFound(w, r, rc)
		return
	}
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	defer f.Close()
	s.servePlayable(w, r, rc, f)
}

func (s *Server) adminVoicemailDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Voicemail.Delete(b.Mailbox, id); err != nil {
		if errors.Is(err, voicemail.ErrNotFound) {
			s.notFound(w, r, rc)
			return
		}
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "vm-delete", auditVoicemail, b.Mailbox+"/"+id, "")
	backTo(w, r, "/admin/voicemail/box/"+b.Mailbox, "admin.done.vm_deleted")
}

// greetingOf reads {kind}; ok is false when a 404 has been written.
func (s *Server) greetingOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (voicemail.GreetingKind, bool) {
	k, err := voicemail.ParseGreetingKind(r.PathValue("kind"))
	if err != nil {
		s.notFound(w, r, rc)
		return "", false
	}
	return k, true
}

func (s *Server) adminGreetingAudio(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	k, ok := s.greetingOf(w, r, rc)
	if !ok {
		return
	}
	path, ok := s.cfg.Voicemail.GreetingFile(b.Mailbox, k)
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	s.serveFile(w, r, rc, path)
}

func (s *Server) adminGreetingUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	k, ok := s.greetingOf(w, r, rc)
	if !ok {
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil || hdr.Size == 0 {
		s.renderVoicemailBox(w, r, rc, http.StatusUnprocessableEntity, b, adminPage{}, k, i18n.T(rc.lang, "prompts.err.file_missing"))
		return
	}
	defer f.Close()
	d, err := s.cfg.Voicemail.PutGreeting(b.Mailbox, k, f)
	if err != nil {
		msg := ""
		switch {
		case errors.Is(err, voicemail.ErrTooLong):
			msg = i18n.T(rc.lang, "vmbox.err.too_long", int(voicemail.MaxGreetingTime.Seconds()))
		case errors.Is(err, voicemail.ErrEmpty):
			msg = i18n.T(rc.lang, "prompts.err.too_short", 0.5)
		case errors.Is(err, voicemail.ErrBadAudio):
			msg = i18n.T(rc.lang, "vmbox.err.audio")
		default:
			s.storeFail(w, r, rc, err)
			return
		}
		s.renderVoicemailBox(w, r, rc, http.StatusUnprocessableEntity, b, adminPage{}, k, msg)
		return
	}
	s.audit(r, rc, "vm-greeting", auditVoicemail, b.Mailbox+"/"+string(k), uploadName(r)+", "+d.Round(time.Millisecond).String())
	backTo(w, r, "/admin/voicemail/box/"+b.Mailbox, "admin.done.vm_greeting")
}

func (s *Server) adminGreetingRemove(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	k, ok := s.greetingOf(w, r, rc)
	if !ok {
		return
	}
	if err := s.cfg.Voicemail.RemoveGreeting(b.Mailbox, k); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "vm-greeting-remove", auditVoicemail, b.Mailbox+"/"+string(k), "")
	backTo(w, r, "/admin/voicemail/box/"+b.Mailbox, "admin.done.vm_greeting_removed")
}

// adminVoicemailPIN sets a new PIN on the box's extension, or clears it.
func (s *Server) adminVoicemailPIN(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b, ok := s.boxOf(w, r, rc)
	if !ok {
		return
	}
	if b.Kind != voicemail.BoxExtension {
		s.renderVoicemailBox(w, r, rc, http.StatusConflict, b, adminPage{}, "", i18n.T(rc.lang, "vmbox.pin_queue"))
		return
	}
	pin := strings.TrimSpace(r.PostFormValue("pin"))
	_, err := store.Update(s.store, b.Mailbox, func(e *store.Extension) error {
		if pin == "" {
			e.VoicemailPIN = ""
			return nil
		}
		return e.SetVoicemailPIN(pin)
	})
	if err != nil {
		errs := map[string]string{}
		if !fieldMessages(errs, err, rc.lang) {
			s.storeFail(w, r, rc, err)
			return
		}
		msg := i18n.T(rc.lang, "vmbox.err.pin")
		for _, m := range errs {
			msg = m
			break
		}
		s.renderVoicemailBox(w, r, rc, http.StatusUnprocessableEntity, b, adminPage{}, "", msg)
		return
	}
	detail := "set"
	if pin == "" {
		detail = "cleared"
	}
	s.audit(r, rc, "vm-pin", auditVoicemail, b.Mailbox, detail)
	backTo(w, r, "/admin/voicemail/box/"+b.Mailbox, "admin.done.vm_pin")
}
