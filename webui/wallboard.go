package webui

import (
	"net/http"

	"callbox/firmware/store"
)

// wallboardView is the content of the supervisor's wallboard. The figures
// themselves are read by wallboard.js from /api/v1/queues/live and
// /api/v1/agents and kept current from the event stream, so the page
// never reloads.
type wallboardView struct {
	CTI, ACD bool
	// Extensions are the phones a supervisor may listen from.
	Extensions []store.Extension
	Strings    map[string]string
	Assets     pageAssets
}

// wallboardScriptKeys are the catalogue keys wallboard.js shows.
var wallboardScriptKeys = []string{
	"agentui.state.loggedout", "agentui.state.available", "agentui.state.ringing", "agentui.state.oncall",
	"agentui.state.wrapup", "agentui.state.paused", "agentui.state.unknown",
	"agentui.stream.live", "agentui.stream.lost", "agentui.stream.reset",
	"agentui.done", "agentui.failed", "agentui.board.no-ext", "agentui.board.empty-queues", "agentui.board.empty-agents",
	"agentui.board.listen", "agentui.board.whisper", "agentui.board.barge",
	"agentui.reason.lunch", "agentui.reason.break", "agentui.reason.training", "agentui.reason.meeting",
}

func (s *Server) wallboardPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	allowConnect(w)
	v := wallboardView{CTI: s.cfg.CTI != nil, ACD: s.cfg.ACD != nil, Strings: scriptStrings(rc.lang, wallboardScriptKeys),
		Assets: wallboardAssets}
	exts, err := store.List[store.Extension](s.store)
	if err != nil {
		s.log.Error("list extensions", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	v.Extensions = exts
	s.render(w, r, rc, http.StatusOK, "wallboard", "agentui.board.title", v)
}
