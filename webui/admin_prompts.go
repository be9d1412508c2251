package webui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/prompt"
	"callbox/media/wav"
)

// The prompts page lists every system prompt and every custom prompt of a
// language with a player; a prompt's own page replaces its recording by
// upload or by text-to-speech and reverts it to the built-in one. What
// the installer stores is a store.CustomPrompt (so backups carry it);
// media/prompt.Follow, run by the firmware, mirrors those records into the
// prompt library's override directory, where calls play them.

// Limits of prompt uploads and speech.
const (
	maxPromptFile   = 8 << 20                 // bytes of one uploaded file
	maxPromptBody   = maxPromptFile + 256<<10 // the request: the file and the form around it, so an oversized file still gets its message
	maxPromptLength = 2 * time.Minute
	minPromptLength = 200 * time.Millisecond
	maxPromptText   = 1000
	speakTimeout    = 20 * time.Second
	// regenerateTime keeps a whole language's regeneration under the
	// server's write timeout (60 s); what is not done by then keeps its
	// recording and the page says so.
	regenerateTime = 45 * time.Second
)

// promptLangs are the languages prompts exist in, as the catalogue names them.
var promptLangs = []i18n.Lang{i18n.EN, i18n.ZH}

func (s *Server) promptRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	up := p
	up.bodyLimit = maxPromptBody
	handle("GET /admin/prompts", p, s.adminPrompts)
	handle("POST /admin/prompts/add", up, s.adminPromptAdd)
	handle("POST /admin/prompts/regenerate", p, s.adminPromptsRegenerate)
	handle("GET /admin/prompts/{lang}/{name}", p, s.adminPrompt)
	handle("GET /admin/prompts/{lang}/{name}/audio", p, s.adminPromptAudio)
	handle("POST /admin/prompts/{lang}/{name}/upload", up, s.adminPromptUpload)
	handle("POST /admin/prompts/{lang}/{name}/speak", p, s.adminPromptSpeak)
	handle("POST /admin/prompts/{lang}/{name}/revert", p, s.adminPromptRevert)
}

// langTab is one language choice above the list.
type langTab struct {
	Code    string
	Label   string
	Current bool
}

// promptRow is one prompt in the list.
type promptRow struct {
	Name, Text string
	State      string // catalogue key of the recording's state
	Class      string // badge class
	Length     string
	Audio      string // player URL
}

// promptsView is the content of the list page.
type promptsView struct {
	Lang     string
	LangName string
	Langs    []langTab
	System   []promptRow
	Custom   []promptRow
	CanSpeak bool
	FileHint string
	// The add form: its values and messages by field.
	Add    map[string]string
	Errors map[string]string
}

// promptView is the content of one prompt's page.
type promptView struct {
	Lang, LangName, Name string
	Text                 string // what it says (custom text, else the shipped text)
	Shipped, Custom      bool
	State, Class, Length string
	Audio, BuiltinAudio  string
	Updated              string
	CanSpeak             bool
	FileHint             string
	SpeakText            string
	Errors               map[string]string
}

// promptLang reads a language from a path or form value.
func promptLang(v string) (i18n.Lang, bool) {
	l := i18n.Lang(v)
	return l, l.Valid()
}

// customPrompts returns the stored prompts of lang by name.
func (s *Server) customPrompts(lang i18n.Lang) (map[string]store.CustomPrompt, error) {
	all, err := store.List[store.CustomPrompt](s.store)
	if err != nil {
		return nil, err
	}
	out := map[string]store.CustomPrompt{}
	for _, p := range all {
		if p.Lang == lang {
			out[p.Name] = p
		}
	}
	return out, nil
}

// shippedEntries returns the shipped text list of lang by key, and the
// keys in list order.
func shippedEntries(lang i18n.Lang) (map[string]string, []string) {
	entries, err := prompt.NewLibrary("").Entries(string(lang))
	if err != nil {
		return map[string]string{}, nil
	}
	texts := make(map[string]string, len(entries))
	keys := make([]string, 0, len(entries))
	for _, e := range entries {
		texts[e.Key] = e.Text
		keys = append(keys, e.Key)
	}
	return texts, keys
}

func seconds(lang i18n.Lang, d time.Duration) string {
	return i18n.T(lang, "prompts.seconds", d.Seconds())
}

// shippedLength is the length of a shipped prompt, from its header.
func shippedLength(lang i18n.Lang, name string) time.Duration {
	b, err := prompt.Shipped(string(lang), name)
	if err != nil {
		return 0
	}
	h, err := wav.ParseHeader(bytes.NewReader(b))
	if err != nil || h.ByteRate() == 0 {
		return 0
	}
	size := h.DataSize
	if size < 0 {
		size = int64(len(b)) - h.DataOffset
	}
	return time.Duration(size) * time.Second / time.Duration(h.ByteRate())
}

func promptAudioURL(lang i18n.Lang, name string) string {
	return "/admin/prompts/" + string(lang) + "/" + name + "/audio"
}

// customState is the badge of a stored prompt.
func customState(p store.CustomPrompt) (key, class string) {
	if p.Source == store.PromptSpoken {
		return "prompts.state.tts", "ok"
	}
	return "prompts.state.upload", "ok"
}

func (s *Server) promptsView(rc *reqCtx, lang i18n.Lang) (promptsView, error) {
	v := promptsView{Lang: string(lang), LangName: i18n.T(lang, "web.lang.self"), CanSpeak: prompt.CanSpeak(string(lang)),
		FileHint: fileHint(rc.lang), Add: map[string]string{}, Errors: map[string]string{}}
	for _, l := range promptLangs {
		v.Langs = append(v.Langs, langTab{Code: string(l), Label: i18n.T(l, "web.lang.self"), Current: l == lang})
	}
	custom, err := s.customPrompts(lang)
	if err != nil {
		return v, err
	}
	texts, keys := shippedEntries(lang)
	for _, k := range keys {
		row := promptRow{Name: k, Text: texts[k], State: "prompts.state.builtin", Length: seconds(rc.lang, shippedLength(lang, k)), Audio: promptAudioURL(lang, k)}
		if c, ok := custom[k]; ok {
			row.State, row.Class = customState(c)
			row.Length = seconds(rc.lang, time.Duration(c.Millis)*time.Millisecond)
			if c.Text != "" {
				row.Text = c.Text
			}
		}
		v.System = append(v.System, row)
	}
	for _, c := range sortedCustom(custom) {
		if _, shipped := texts[c.Name]; shipped {
			continue
		}
		row := promptRow{Name: c.Name, Text: c.Text, Length: seconds(rc.lang, time.Duration(c.Millis)*time.Millisecond), Audio: promptAudioURL(lang, c.Name)}
		row.State, row.Class = customState(c)
		v.Custom = append(v.Custom, row)
	}
	return v, nil
}

func sortedCustom(m map[string]store.CustomPrompt) []store.CustomPrompt {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b store.CustomPrompt) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func fileHint(lang i18n.Lang) string {
	return i18n.T(lang, "prompts.file_hint", int(maxPromptLength.Seconds()), maxPromptFile>>20)
}

// allowMedia lets the page's <audio> elements load from the box itself.
func allowMedia(w http.ResponseWriter) {
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); csp != "" && !strings.Contains(csp, "media-src") {
		h.Set("Content-Security-Policy", csp+"; media-src 'self'")
	}
}

// listLang is the language the list shows: ?lang=, else the user's.
func listLang(r *http.Request, rc *reqCtx) i18n.Lang {
	if l, ok := promptLang(r.URL.Query().Get("lang")); ok {
		return l
	}
	return rc.lang
}

func (s *Server) adminPrompts(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderPrompts(w, r, rc, http.StatusOK, listLang(r, rc), adminPage{Notice: noticeOf(r, rc.lang)}, nil, nil)
}

func (s *Server) renderPrompts(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, lang i18n.Lang, ap adminPage, add, errs map[string]string) {
	v, err := s.promptsView(rc, lang)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	if add != nil {
		v.Add = add
	}
	if errs != nil {
		v.Errors = errs
	}
	ap.Page = v
	allowMedia(w)
	s.adminRender(w, r, rc, code, "prompts", "prompts.title", ap, "")
}

// promptOf reads {lang} and {name} of the path: a prompt that is shipped
// or stored. ok is false (and a 404 written) otherwise.
func (s *Server) promptOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (v promptView, c store.CustomPrompt, ok bool) {
	lang, okLang := promptLang(r.PathValue("lang"))
	name := r.PathValue("name")
	if !okLang || !store.IsPromptName(name) {
		s.notFound(w, r, rc)
		return v, c, false
	}
	texts, _ := shippedEntries(lang)
	text, shipped := texts[name]
	c, err := store.Get[store.CustomPrompt](s.store, store.PromptKey(lang, name))
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		if !shipped {
			s.notFound(w, r, rc)
			return v, c, false
		}
	default:
		s.storeFail(w, r, rc, err)
		return v, c, false
	}
	custom := err == nil
	v = promptView{Lang: string(lang), LangName: i18n.T(lang, "web.lang.self"), Name: name, Text: text, Shipped: shipped, Custom: custom,
		State: "prompts.state.builtin", Audio: promptAudioURL(lang, name), CanSpeak: prompt.CanSpeak(string(lang)),
		FileHint: fileHint(rc.lang), Errors: map[string]string{}, Length: seconds(rc.lang, shippedLength(lang, name))}
	if shipped && custom {
		v.BuiltinAudio = v.Audio + "?builtin=1"
	}
	if custom {
		v.State, v.Class = customState(c)
		v.Length = seconds(rc.lang, time.Duration(c.Millis)*time.Millisecond)
		if c.Text != "" {
			v.Text = c.Text
		}
		loc := time.UTC
		if set, err := store.GetSettings(s.store); err == nil {
			loc = set.Location()
		}
		v.Updated = i18n.T(rc.lang, "prompts.updated", c.UpdatedAt.In(loc).Format("2006-01-02 15:04"), c.UpdatedBy)
	}
	v.SpeakText = v.Text
	return v, c, true
}

func (s *Server) adminPrompt(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, _, ok := s.promptOf(w, r, rc)
	if !ok {
		return
	}
	s.renderPrompt(w, r, rc, http.StatusOK, v, adminPage{Notice: noticeOf(r, rc.lang)})
}

func (s *Server) renderPrompt(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v promptView, ap adminPage) {
	ap.Page = v
	allowMedia(w)
	s.adminRender(w, r, rc, code, "prompt", "prompts.title", ap, "")
}

// adminPromptAudio plays a prompt in the browser: the stored recording,
// else (or with ?builtin=1) the shipped one.
func (s *Server) adminPromptAudio(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, c, ok := s.promptOf(w, r, rc)
	if !ok {
		return
	}
	audio := c.Audio
	if len(audio) == 0 || r.URL.Query().Get("builtin") == "1" {
		var err error
		if audio, err = prompt.Shipped(r.PathValue("lang"), r.PathValue("name")); err != nil {
			s.notFound(w, r, rc)
			return
		}
	}
	s.servePlayable(w, r, rc, bytes.NewReader(audio))
}

// savePrompt stores a recording of a prompt and writes the audit entry;
// a message for the file field comes back when the store refuses it.
func (s *Server) savePrompt(r *http.Request, rc *reqCtx, p store.CustomPrompt, action, detail string) (string, error) {
	p.UpdatedAt, p.UpdatedBy = s.now(), rc.user.Name
	if _, err := store.Put(s.store, p); err != nil {
		errs := map[string]string{}
		if fieldMessages(errs, err, rc.lang) {
			for _, f := range []string{"audio", "text", "name", "lang"} {
				if m, ok := errs[f]; ok {
					return m, nil
				}
			}
		}
		return "", err
	}
	s.audit(r, rc, action, store.KindCustomPrompt, p.Key(), detail)
	return "", nil
}

// adminPromptAdd adds a custom prompt under a new name.
func (s *Server) adminPromptAdd(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	form := map[string]string{"lang": r.PostFormValue("lang"), "name": strings.TrimSpace(r.PostFormValue("name")), "text": strings.TrimSpace(r.PostFormValue("text"))}
	errs := map[string]string{}
	lang, ok := promptLang(form["lang"])
	if !ok {
		errs["lang"] = i18n.T(rc.lang, "prompts.err.lang")
		lang = rc.lang
	}
	texts, _ := shippedEntries(lang)
	switch _, shipped := texts[form["name"]]; {
	case !store.IsPromptName(form["name"]):
		errs["name"] = i18n.T(rc.lang, "store.err.prompt_name", 64)
	case shipped || store.HasCustomPrompt(s.store, lang, form["name"]):
		errs["name"] = i18n.T(rc.lang, "prompts.err.exists")
	}
	// Without a file, a box that can speak says the text instead.
	var (
		audio  []byte
		d      time.Duration
		source = store.PromptUpload
		action = "upload-prompt"
		detail string
	)
	if _, hdr, err := r.FormFile("file"); (err != nil || hdr.Size == 0) && form["text"] != "" && prompt.CanSpeak(string(lang)) {
		source, action, detail = store.PromptSpoken, "speak-prompt", form["text"]
		if len([]rune(form["text"])) > maxPromptText {
			errs["text"] = i18n.T(rc.lang, "store.err.too_long", maxPromptText)
		}
		if len(errs) == 0 {
			ctx, cancel := context.WithTimeout(r.Context(), speakTimeout)
			var err error
			audio, d, err = prompt.Speak(ctx, string(lang), form["text"], maxPromptLength)
			cancel()
			if err != nil {
				errs["text"] = speechMessage(rc.lang, err)
			}
		}
	} else {
		var fileErr string
		audio, d, fileErr = readPromptUpload(r, rc.lang)
		if fileErr != "" {
			errs["file"] = fileErr
		}
		detail = fmt.Sprintf("%s, %d ms", uploadName(r), d.Milliseconds())
	}
	if len(errs) == 0 {
		p := store.CustomPrompt{Lang: lang, Name: form["name"], Audio: audio, Source: source, Text: form["text"], Millis: int(d.Milliseconds())}
		msg, err := s.savePrompt(r, rc, p, action, detail)
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		if msg == "" {
			backTo(w, r, "/admin/prompts/"+string(lang)+"/"+p.Name, "admin.done.prompt_saved")
			return
		}
		errs["file"] = msg
	}
	s.renderPrompts(w, r, rc, http.StatusUnprocessableEntity, lang, adminPage{}, form, errs)
}

// adminPromptUpload replaces a prompt's recording with an upload.
func (s *Server) adminPromptUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, _, ok := s.promptOf(w, r, rc)
	if !ok {
		return
	}
	audio, d, msg := readPromptUpload(r, rc.lang)
	if msg == "" {
		text := strings.TrimSpace(r.PostFormValue("text"))
		p := store.CustomPrompt{Lang: i18n.Lang(v.Lang), Name: v.Name, Audio: audio, Source: store.PromptUpload, Text: text, Millis: int(d.Milliseconds())}
		var err error
		if msg, err = s.savePrompt(r, rc, p, "upload-prompt", fmt.Sprintf("%s, %d ms", uploadName(r), p.Millis)); err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		if msg == "" {
			backTo(w, r, "/admin/prompts/"+v.Lang+"/"+v.Name, "admin.done.prompt_saved")
			return
		}
	}
	v.Errors["file"] = msg
	s.renderPrompt(w, r, rc, http.StatusUnprocessableEntity, v, adminPage{})
}

// adminPromptRevert drops the stored recording: a shipped prompt plays
// its built-in recording again, a custom one is gone.
func (s *Server) adminPromptRevert(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, c, ok := s.promptOf(w, r, rc)
	if !ok {
		return
	}
	if v.Custom {
		if _, err := store.Delete[store.CustomPrompt](s.store, c.Key()); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.storeFail(w, r, rc, err)
			return
		}
		s.audit(r, rc, "revert-prompt", store.KindCustomPrompt, c.Key(), "")
	}
	if v.Shipped {
		backTo(w, r, "/admin/prompts/"+v.Lang+"/"+v.Name, "admin.done.prompt_reverted")
		return
	}
	http.Redirect(w, r, "/admin/prompts?lang="+v.Lang+"&done=admin.done.prompt_removed", http.StatusSeeOther)
}
