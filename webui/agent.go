package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"callbox/acd/cti"
	"callbox/acd/queue"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// agentRoutes registers the agent console and the supervisor's wallboard
// (agent*.go, wallboard*.go). They are pages and HTML fragments only:
// every action the pages take goes through the /api/v1 endpoints, behind
// the same gate, CSRF check and role rules as any other client.
func (s *Server) agentRoutes(handle func(string, access, handlerFunc)) {
	desk := []store.Role{store.RoleAgent, store.RoleSupervisor}
	board := []store.Role{store.RoleSupervisor, store.RoleAdmin}
	handle("GET /agent", page(desk...), s.agentPage)
	handle("GET /agent/pop/{id}", page(desk...), s.agentPop)
	handle("GET /agent/callbacks", page(desk...), s.agentCallbacks)
	// Follow-up tasks and SMS conversations (agent_work.go).
	handle("GET /agent/followups", page(desk...), s.agentFollowups)
	handle("GET /agent/followups/{id}", page(desk...), s.agentFollowup)
	handle("GET /agent/messages", page(desk...), s.agentConversations)
	handle("GET /agent/messages/{key}", page(desk...), s.agentThread)
	handle("GET /wallboard", page(board...), s.wallboardPage)
}

// agentView is the content of the agent console.
type agentView struct {
	// Agent is the store record linked to the login; ID "" when none is.
	Agent        store.Agent
	PauseReasons []string
	// CTI and ACD say whether the live services are wired.
	CTI, ACD bool
	// Strings are the catalogue texts the script needs, as JSON.
	Strings map[string]string
	Assets  pageAssets
	// WrapUps are the wrap-up codes offered (not disabled), in code order.
	WrapUps []wrapUpOption
	// Watcher: a supervisor or admin (the follow-up import is theirs).
	Watcher bool
	// Queues are the site's queues, offered as transfer targets.
	Queues []string
}

// wrapUpOption is a wrap-up code as the console offers it.
type wrapUpOption struct {
	Code, Label            string
	FollowUp, NoteRequired bool
}

// pageAssets are a console page's own stylesheet and script, with
// versioned URLs.
type pageAssets struct{ CSS, JS string }

// versioned returns the URL of an embedded asset with a hash of its
// content, so that a browser caches it for long and still fetches the new
// one after a firmware update. A missing file panics at start-up: assets
// are embedded at build, so that is a build mistake, not a run-time state.
func versioned(name string) string {
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil {
		panic("webui: asset " + name + " not embedded")
	}
	sum := sha256.Sum256(b)
	return "/assets/" + name + "?v=" + hex.EncodeToString(sum[:6])
}

var (
	agentAssets     = pageAssets{CSS: versioned("console.css"), JS: versioned("agent.js")}
	wallboardAssets = pageAssets{CSS: versioned("console.css"), JS: versioned("wallboard.js")}
)

// agentScriptKeys are the catalogue keys agent.js shows.
var agentScriptKeys = []string{
	"agentui.state.loggedout", "agentui.state.available", "agentui.state.ringing", "agentui.state.oncall",
	"agentui.state.wrapup", "agentui.state.paused", "agentui.state.unknown",
	"agentui.ring.title", "agentui.ring.body", "agentui.ring.unknown",
	"agentui.stream.live", "agentui.stream.lost", "agentui.stream.reset",
	"agentui.done", "agentui.failed", "agentui.wrap.saved", "agentui.call.none", "agentui.dial.placed",
	"agentui.hold", "agentui.resume",
	"agentui.reason.lunch", "agentui.reason.break", "agentui.reason.training", "agentui.reason.meeting",
	"consoleui.fu.saved", "consoleui.fu.dialing", "consoleui.fu.cancelled", "consoleui.fu.created",
	"consoleui.wrap.fu-need", "consoleui.wrap.note-need", "consoleui.msg.closed", "consoleui.msg.claimed",
	"consoleui.msg.sent", "consoleui.msg.new", "consoleui.imp.ready", "consoleui.imp.bad", "consoleui.imp.done",
	"consoleui.pol.saved", "consoleui.pol.bad",
	"transferpop.consulting", "transferpop.completed", "transferpop.withdrawn", "consolegaps.call-ended",
	"followup.outcome.reached", "followup.outcome.noanswer", "followup.outcome.busy", "followup.outcome.wrongnumber",
	"followup.outcome.reschedule",
}

// scriptStrings returns keys in lang, for a page's script.
func scriptStrings(lang i18n.Lang, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = i18n.T(lang, k)
	}
	return out
}

// allowConnect widens the gate's content security policy, which allows
// no connections, so that a console page's script may call the box's own
// API and follow its event stream (connect-src 'self'), and nothing else.
func allowConnect(w http.ResponseWriter) {
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); csp != "" && !strings.Contains(csp, "connect-src") {
		h.Set("Content-Security-Policy", csp+"; connect-src 'self'")
	}
}

func (s *Server) agentPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	allowConnect(w)
	v := agentView{CTI: s.cfg.CTI != nil, ACD: s.cfg.ACD != nil, Strings: scriptStrings(rc.lang, agentScriptKeys),
		Assets: agentAssets, Watcher: isWatcher(rc.user)}
	id, err := s.agentOf(rc.user.Name)
	if err != nil {
		s.log.Error("find agent of user", "user", rc.user.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if id != "" {
		if v.Agent, err = store.Get[store.Agent](s.store, id); err != nil {
			s.log.Error("read agent", "agent", id, "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	}
	st, err := store.GetSettings(s.store)
	if err != nil {
		s.log.Error("read settings", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	v.PauseReasons = st.PauseReasons
	err = store.ListFunc(s.store, "", func(w store.WrapUp) bool {
		if !w.Disabled {
			v.WrapUps = append(v.WrapUps, wrapUpOption{Code: w.Code, Label: w.Label(rc.lang), FollowUp: w.FollowUp, NoteRequired: w.NoteRequired})
		}
		return true
	})
	if err != nil {
		s.log.Error("list wrap-up codes", "err", err)
	}
	if err := store.ListFunc(s.store, "", func(q store.Queue) bool { v.Queues = append(v.Queues, q.Name); return true }); err != nil {
		s.log.Error("list queues", "err", err)
	}
	s.render(w, r, rc, http.StatusOK, "agent", "agentui.title", v)
}

// fragment writes template block name of page file as a bare HTML
// fragment, for a page's script to insert. Like render, it renders into a
// buffer first so that a failure never sends half a fragment.
func (s *Server) fragment(w http.ResponseWriter, rc *reqCtx, file, name string, view any) {
	t, ok := s.pages.byName[file]
	if !ok {
		s.log.Error("no such page template", "page", file)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	data := pageData{Lang: rc.lang, User: rc.user, CSRF: rc.csrf, View: view}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render fragment", "page", file, "block", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// popView is a screen pop as the console shows it.
type popView struct {
	cti.Pop
	// Steps is the queue's script in order from its start, each once.
	Steps []store.ScriptNode
	// Fields are the customer's fields as label and value (popFields).
	Fields [][2]string
	// VIPLevel ("1" to "5", "" for none) and Tags are the built-in
	// directory's, shown as badges.
	VIPLevel string
	Tags     []string
	// DataKeys are the IVR variables' names in order.
	DataKeys []string
	Waited   string
	// NoCall: the pop of a customer outside a call (a follow-up task):
	// no wait, no IVR path, no script.
	NoCall bool
	// Outbound: the pop of a call the agent placed (click-to-dial): the
	// customer was dialled, so no wait and no IVR path.
	Outbound bool
	// HandedBy names who handed the call over ("" when nobody did), and
	// HistoryFrom says, by contact ID, who handed on a past call.
	HandedBy    string
	HistoryFrom map[string]string
}

// transferView fills what the pop shows of transfers: who handed this
// call over and who handed on the past calls (agents by name).
func (s *Server) transferView(lang i18n.Lang, v *popView) {
	name := func(id string) string {
		if a, err := store.Get[store.Agent](s.store, id); err == nil && a.Name != "" {
			return a.Name
		}
		return id
	}
	if x := v.Handoff; x != nil {
		switch {
		case x.FromName != "":
			v.HandedBy = x.FromName
		case x.FromAgent != "":
			v.HandedBy = name(x.FromAgent)
		case x.FromExtension != "":
			v.HandedBy = x.FromExtension
		default:
			v.HandedBy = "?"
		}
	}
	for _, c := range v.History {
		if len(c.TransferredFrom) == 0 {
			continue
		}
		names := make([]string, len(c.TransferredFrom))
		for i, id := range c.TransferredFrom {
			names[i] = name(id)
		}
		if v.HistoryFrom == nil {
			v.HistoryFrom = map[string]string{}
		}
		v.HistoryFrom[c.ID] = i18n.T(lang, "transferpop.from", strings.Join(names, ", "))
	}
}

// scriptSteps walks a script from its start along every branch, each step
// once, so that the agent sees the questions in the order they come.
func scriptSteps(sc *store.Script) []store.ScriptNode {
	if sc == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []store.ScriptNode
	next := []string{sc.Start}
	for len(next) > 0 && len(out) < len(sc.Nodes) {
		id := next[0]
		next = next[1:]
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		n, ok := sc.Node(id)
		if !ok {
			continue
		}
		out = append(out, n)
		next = append(next, n.Next)
		for _, c := range n.Choices {
			next = append(next, c.Next)
		}
	}
	return out
}

func (s *Server) agentPop(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h := s.cfg.CTI
	if h == nil {
		s.fail(w, r, rc, http.StatusServiceUnavailable, "cti.error.no-cti")
		return
	}
	id := r.PathValue("id")
	p, err := s.popOf(r, rc, h, id)
	switch {
	case errors.Is(err, cti.ErrUnknownCall):
		s.fail(w, r, rc, http.StatusNotFound, "agentui.error.unknown-call")
		return
	case err != nil:
		s.log.Error("screen pop", "call", id, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if !isWatcher(rc.user) {
		me, err := s.agentOf(rc.user.Name)
		if err != nil || me == "" || p.Agent != me {
			s.forbidden(w, r, rc, "cti.error.not-your-call")
			return
		}
	}
	v := popView{Pop: p, Steps: scriptSteps(p.Script), Waited: clockDuration(p.Waited), Outbound: p.Kind == cti.KindOutbound}
	v.Fields, v.VIPLevel, v.Tags = s.popFields(rc.lang, p.Customer.Fields)
	s.transferView(rc.lang, &v)
	for k := range p.Data {
		v.DataKeys = append(v.DataKeys, k)
	}
	slices.Sort(v.DataKeys)
	s.fragment(w, rc, "agent_pop", "pop", v)
}

// clockDuration writes d as m:ss (or h:mm:ss), the way a wallboard does.
func clockDuration(d time.Duration) string {
	sec := max(int(d.Round(time.Second)/time.Second), 0)
	if h := sec / 3600; h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// callbacksView is the console's callback list.
type callbacksView struct {
	ACD  bool
	List []queue.CallbackRecord
}

// agentCallbacks lists the callbacks an agent may take: those still open
// in the queues the agent is a member of, and those assigned to them.
// Supervisors see every open callback.
func (s *Server) agentCallbacks(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := callbacksView{ACD: s.cfg.ACD != nil}
	if !v.ACD {
		s.fragment(w, rc, "agent_callbacks", "callbacks", v)
		return
	}
	me, err := s.agentOf(rc.user.Name)
	if err != nil {
		s.log.Error("find agent of user", "user", rc.user.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	mine := map[string]bool{}
	if !isWatcher(rc.user) {
		qs, err := store.List[store.Queue](s.store)
		if err != nil {
			s.log.Error("list queues", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
		for _, q := range qs {
			if slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return me != "" && m.Agent == me }) {
				mine[q.Name] = true
			}
		}
	}
	for _, cb := range s.cfg.ACD.Dispatcher().Callbacks() {
		if cb.Finished() {
			continue
		}
		if isWatcher(rc.user) || mine[cb.Queue] || (me != "" && cb.Agent == me) {
			v.List = append(v.List, cb)
		}
	}
	sort.Slice(v.List, func(i, j int) bool { return v.List[i].CreatedAt.Before(v.List[j].CreatedAt) })
	s.fragment(w, rc, "agent_callbacks", "callbacks", v)
}
