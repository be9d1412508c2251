package webui

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"callbox/acd/voicemail"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The voicemail API: mailboxes with their counts, messages (listen, save,
// delete), greetings (listen, upload, remove) and the PIN. It is a thin
// layer over acd/voicemail; the admin pages call the same functions.
// Supervisors and admins reach every box; an agent reaches the box of
// their own extension only.

// vmGreetingBodyLimit lets a whole greeting upload (and a multipart
// envelope around it) through.
const vmGreetingBodyLimit = voicemail.MaxGreetingBytes + 64<<10

func (s *Server) voicemailRoutes(handle func(string, access, handlerFunc), allRoles, watchers, admins []store.Role) {
	_ = watchers // supervisors reach every box like admins (boxAccess)
	upload := access{kind: loggedIn, roles: allRoles, api: true, bodyLimit: vmGreetingBodyLimit}
	const box = "/api/v1/voicemail/boxes/{box}"
	handle("GET /api/v1/voicemail/boxes", api(allRoles...), s.apiVoicemailBoxes)
	handle("GET "+box, api(allRoles...), s.apiVoicemailBox)
	handle("GET "+box+"/messages", api(allRoles...), s.apiVoicemailMessages)
	handle("GET "+box+"/messages/{id}/audio", api(allRoles...), s.apiVoicemailAudio)
	handle("POST "+box+"/messages/{id}/save", api(allRoles...), s.apiVoicemailSave)
	handle("DELETE "+box+"/messages/{id}", api(allRoles...), s.apiVoicemailDelete)
	handle("GET "+box+"/greetings/{kind}", api(allRoles...), s.apiGreetingPlay)
	handle("PUT "+box+"/greetings/{kind}", upload, s.apiGreetingPut)
	handle("DELETE "+box+"/greetings/{kind}", api(allRoles...), s.apiGreetingDelete)
	handle("POST "+box+"/pin", api(admins...), s.apiVoicemailPIN)
}

// mailboxes returns the voicemail store, or answers 503 when none is
// wired.
func (s *Server) vmMailboxes(w http.ResponseWriter, rc *reqCtx) (*voicemail.Store, bool) {
	if s.cfg.Voicemail == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "vm.api.no-voicemail"))
		return nil, false
	}
	return s.cfg.Voicemail, true
}

// ownBoxes are the mailboxes of the agents the user logs in as.
func (s *Server) vmOwnBoxes(u *store.User) (map[string]bool, error) {
	agents, err := store.List[store.Agent](s.store)
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, a := range agents {
		if a.User == u.Name && a.Extension != "" {
			own[a.Extension] = true
		}
	}
	return own, nil
}

// mayOpen reports whether the user may reach every mailbox (admins and
// supervisors) or, failing that, which ones.
func (s *Server) vmMayOpen(rc *reqCtx) (all bool, own map[string]bool, err error) {
	if rc.user.Role == store.RoleAdmin || rc.user.Role == store.RoleSupervisor {
		return true, nil, nil
	}
	own, err = s.vmOwnBoxes(rc.user)
	return false, own, err
}

// boxAccess finds the request's mailbox and checks the user may open it;
// otherwise it answers (503, 404, 403) and returns false.
func (s *Server) vmBoxAccess(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*voicemail.Store, voicemail.BoxInfo, bool) {
	vm, ok := s.vmMailboxes(w, rc)
	if !ok {
		return nil, voicemail.BoxInfo{}, false
	}
	b, err := voicemail.Box(s.store, vm, r.PathValue("box"))
	if errors.Is(err, voicemail.ErrNoSuchBox) || errors.Is(err, voicemail.ErrBadMailbox) {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-box"))
		return nil, b, false
	}
	if err != nil {
		s.vmInternalError(w, rc, "voicemail box", err)
		return nil, b, false
	}
	all, own, err := s.vmMayOpen(rc)
	if err != nil {
		s.vmInternalError(w, rc, "voicemail access", err)
		return nil, b, false
	}
	if !all && !own[b.Mailbox] {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "vm.api.not-yours"))
		return nil, b, false
	}
	return vm, b, true
}

// vmInternalError logs err and answers 500 without its details.
func (s *Server) vmInternalError(w http.ResponseWriter, rc *reqCtx, what string, err error) {
	s.log.Error("webui: "+what, "err", err)
	apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "vm.api.failed"))
}

func (s *Server) apiVoicemailBoxes(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vm, ok := s.vmMailboxes(w, rc)
	if !ok {
		return
	}
	boxes, err := voicemail.Boxes(s.store, vm)
	if err != nil {
		s.vmInternalError(w, rc, "voicemail boxes", err)
		return
	}
	all, own, err := s.vmMayOpen(rc)
	if err != nil {
		s.vmInternalError(w, rc, "voicemail access", err)
		return
	}
	if !all {
		boxes = slices.DeleteFunc(boxes, func(b voicemail.BoxInfo) bool { return !own[b.Mailbox] })
	}
	if boxes == nil {
		boxes = []voicemail.BoxInfo{}
	}
	writeJSON(w, http.StatusOK, boxes)
}

func (s *Server) apiVoicemailBox(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if _, b, ok := s.vmBoxAccess(w, r, rc); ok {
		writeJSON(w, http.StatusOK, b)
	}
}

// vmMessageJSON is a voicemail message as the API shows it.
type vmMessageJSON struct {
	ID         string           `json:"id"`
	Mailbox    string           `json:"mailbox"`
	From       string           `json:"from,omitempty"`
	CreatedAt  time.Time        `json:"createdAt"`
	DurationMs int64            `json:"durationMs"`
	Size       int64            `json:"size"`
	Folder     voicemail.Folder `json:"folder"`
	CallID     string           `json:"callId,omitempty"`
}

func (s *Server) apiVoicemailMessages(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vm, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return
	}
	ms, err := vm.List(b.Mailbox)
	if err != nil {
		s.vmInternalError(w, rc, "voicemail messages", err)
		return
	}
	out := make([]vmMessageJSON, len(ms))
	for i, m := range ms {
		out[i] = vmMessageJSON{ID: m.ID, Mailbox: m.Mailbox, From: m.From, CreatedAt: m.CreatedAt,
			DurationMs: m.Duration.Milliseconds(), Size: m.Size, Folder: m.Folder, CallID: m.CallID}
	}
	writeJSON(w, http.StatusOK, out)
}

// message finds the request's message in the mailbox.
func (s *Server) vmMessage(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*voicemail.Store, voicemail.Message, bool) {
	vm, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return nil, voicemail.Message{}, false
	}
	ms, err := vm.List(b.Mailbox)
	if err != nil {
		s.vmInternalError(w, rc, "voicemail messages", err)
		return nil, voicemail.Message{}, false
	}
	id := r.PathValue("id")
	i := slices.IndexFunc(ms, func(m voicemail.Message) bool { return m.ID == id })
	if i < 0 {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-message"))
		return nil, voicemail.Message{}, false
	}
	return vm, ms[i], true
}

func (s *Server) apiVoicemailAudio(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vm, m, ok := s.vmMessage(w, r, rc)
	if ok {
		s.vmServeWAV(w, r, rc, vm.AudioPath(m), m.ID+".wav")
	}
}

func (s *Server) apiVoicemailSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vm, m, ok := s.vmMessage(w, r, rc)
	if !ok {
		return
	}
	s.vmAnswerMessageChange(w, rc, vm.Save(m.Mailbox, m.ID))
}

func (s *Server) apiVoicemailDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vm, m, ok := s.vmMessage(w, r, rc)
	if !ok {
		return
	}
	s.vmAnswerMessageChange(w, rc, vm.Delete(m.Mailbox, m.ID))
}

func (s *Server) vmAnswerMessageChange(w http.ResponseWriter, rc *reqCtx, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, voicemail.ErrNotFound):
		// Deleted meanwhile (by phone or another page).
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-message"))
	default:
		s.vmInternalError(w, rc, "voicemail message", err)
	}
}

// vmServeWAV sends a WAV file for an <audio> element (ranges work).
func (s *Server) vmServeWAV(w http.ResponseWriter, r *http.Request, rc *reqCtx, path, name string) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-audio"))
		return
	}
	if err != nil {
		s.vmInternalError(w, rc, "voicemail audio", err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.vmInternalError(w, rc, "voicemail audio", err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": filepath.Base(name)}))
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// greetingKind reads the request's greeting kind; false after a 404.
func vmGreetingKind(w http.ResponseWriter, r *http.Request, rc *reqCtx) (voicemail.GreetingKind, bool) {
	k, err := voicemail.ParseGreetingKind(r.PathValue("kind"))
	if err != nil {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.bad-kind"))
		return "", false
	}
	return k, true
}

func (s *Server) apiGreetingPlay(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := vmGreetingKind(w, r, rc)
	if !ok {
		return
	}
	vm, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return
	}
	p, ok := vm.GreetingFile(b.Mailbox, k)
	if !ok {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-greeting"))
		return
	}
	s.vmServeWAV(w, r, rc, p, b.Mailbox+"-"+string(k)+".wav")
}

// vmGreetingJSON answers an upload.
type vmGreetingJSON struct {
	Kind       voicemail.GreetingKind `json:"kind"`
	DurationMs int64                  `json:"durationMs"`
}

func (s *Server) apiGreetingPut(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := vmGreetingKind(w, r, rc)
	if !ok {
		return
	}
	vm, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return
	}
	body, closeBody, err := vmUploadedFile(r)
	if err != nil {
		s.vmAnswerGreeting(w, rc, err)
		return
	}
	defer closeBody()
	d, err := vm.PutGreeting(b.Mailbox, k, body)
	if err != nil {
		s.vmAnswerGreeting(w, rc, err)
		return
	}
	s.log.Info("voicemail greeting uploaded", "mailbox", b.Mailbox, "kind", k, "user", rc.user.Name, "length", d)
	writeJSON(w, http.StatusOK, vmGreetingJSON{Kind: k, DurationMs: d.Milliseconds()})
}

// errVMNoFile: a multipart upload without a "file" part.
var errVMNoFile = errors.New("webui: no file in the upload")

// uploadedFile is the WAV in the request: the body itself, or the part
// named "file" of a multipart form (a browser's file input).
func vmUploadedFile(r *http.Request) (io.Reader, func(), error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, func() {}, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, errors.Join(errVMNoFile, err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, nil, errors.Join(errVMNoFile, err)
		}
		if p.FormName() == "file" {
			return p, func() { p.Close() }, nil
		}
		p.Close()
	}
}

// answerGreeting turns an upload error into the API's answer.
func (s *Server) vmAnswerGreeting(w http.ResponseWriter, rc *reqCtx, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		apiError(w, http.StatusRequestEntityTooLarge, i18n.T(rc.lang, "vm.api.too-large", voicemail.MaxGreetingBytes>>20))
	case errors.Is(err, voicemail.ErrTooLong):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "vm.api.too-long", int(voicemail.MaxGreetingTime/time.Second)))
	case errors.Is(err, voicemail.ErrEmpty):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "vm.api.too-short"))
	case errors.Is(err, voicemail.ErrBadAudio), errors.Is(err, errVMNoFile):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "vm.api.bad-audio"))
	default:
		s.vmInternalError(w, rc, "voicemail greeting", err)
	}
}

func (s *Server) apiGreetingDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := vmGreetingKind(w, r, rc)
	if !ok {
		return
	}
	vm, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return
	}
	if err := vm.RemoveGreeting(b.Mailbox, k); err != nil {
		s.vmInternalError(w, rc, "voicemail greeting", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// vmPINJSON sets or clears a mailbox PIN.
type vmPINJSON struct {
	PIN string `json:"pin"`
}

func (s *Server) apiVoicemailPIN(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, b, ok := s.vmBoxAccess(w, r, rc)
	if !ok {
		return
	}
	if b.Kind != voicemail.BoxExtension {
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "vm.api.pin-not-extension"))
		return
	}
	var in vmPINJSON
	if err := decodeJSON(r.Body, &in); err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "vm.api.bad-request"))
		return
	}
	_, err := store.Update(s.store, b.Mailbox, func(e *store.Extension) error {
		if in.PIN == "" {
			e.VoicemailPIN = ""
			return nil
		}
		return e.SetVoicemailPIN(in.PIN)
	})
	var ve *store.ValidationError
	switch {
	case err == nil:
		s.log.Info("voicemail PIN reset", "mailbox", b.Mailbox, "user", rc.user.Name, "cleared", in.PIN == "")
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "vm.api.no-box"))
	case errors.As(err, &ve):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "vm.api.bad-pin", store.MinPINLen, store.MaxPINLen))
	default:
		s.vmInternalError(w, rc, "voicemail PIN", err)
	}
}
