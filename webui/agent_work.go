package webui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/acd/followup"
	"callbox/acd/messaging"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The console's follow-up and message panels (agent.js draws them from
// these fragments; every action goes through /api/v1).

// followupLookupTimeout bounds the customer lookup of a follow-up card: a
// slow data source shows a partial record, as on a screen pop.
const followupLookupTimeout = 1500 * time.Millisecond

// followupRow is a task as the console's list shows it.
type followupRow struct {
	store.Followup
	// DueAt is the due time in the site's zone; Overdue, that it is due.
	DueAt   string
	Overdue bool
}

// followupsView is the console's follow-up list.
type followupsView struct {
	// NoAgent: the login is not an agent's (a supervisor without one).
	NoAgent bool
	List    []followupRow
	// Next is the first task that is due ("" when none is).
	Next string
}

// followupRowOf formats a task for the console.
func followupRowOf(f store.Followup, now time.Time, zone *time.Location) followupRow {
	return followupRow{Followup: f, DueAt: f.Due.In(zone).Format("2006-01-02 15:04"), Overdue: !f.Due.After(now)}
}

// agentFollowups lists the agent's open tasks in work order.
func (s *Server) agentFollowups(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	me, err := s.agentOf(rc.user.Name)
	if err != nil {
		s.log.Error("find agent of user", "user", rc.user.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	v := followupsView{NoAgent: me == ""}
	if me != "" {
		fs, err := s.followups().List(r.Context(), followup.Filter{Agent: me,
			States: []store.FollowupState{store.FollowupOpen, store.FollowupDialing}})
		if err != nil {
			s.log.Error("list follow-ups", "agent", me, "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
		now, zone := s.now(), s.siteZone()
		for _, f := range fs {
			row := followupRowOf(f, now, zone)
			if v.Next == "" && row.Overdue && f.State == store.FollowupOpen {
				v.Next = f.ID
			}
			v.List = append(v.List, row)
		}
	}
	s.fragment(w, rc, "agent_followups", "followups", v)
}

// followupView is one task opened in the console: the task, and the
// customer's record and history drawn by the screen pop's template.
type followupView struct {
	popView
	Task     followupRow
	Outcomes []store.FollowupOutcome
	// MinDue is the earliest reschedule time the form offers (now, in
	// the site's zone, as a datetime-local value).
	MinDue string
}

// agentFollowup renders one task of the agent's (supervisors: any).
func (s *Server) agentFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f, err := s.followups().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, followup.ErrNotFound) {
		s.fail(w, r, rc, http.StatusNotFound, "followup.err.not-found")
		return
	}
	if err != nil {
		s.log.Error("read follow-up", "id", r.PathValue("id"), "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if !isWatcher(rc.user) {
		me, err := s.agentOf(rc.user.Name)
		if err != nil || me == "" || f.Agent != me {
			s.forbidden(w, r, rc, "followup.err.not-yours")
			return
		}
	}
	now, zone := s.now(), s.siteZone()
	v := followupView{Task: followupRowOf(f, now, zone), Outcomes: store.FollowupOutcomes,
		MinDue: now.In(zone).Format("2006-01-02T15:04")}
	v.popView = s.customerPop(r.Context(), rc.lang, f)
	s.fragment(w, rc, "agent_pop", "followup", v)
}

// customerPop assembles what a screen pop shows about a task's customer:
// the directory's record (all sources, bounded in time) and the history.
func (s *Server) customerPop(ctx context.Context, lang i18n.Lang, f store.Followup) popView {
	p := cti.Pop{Number: f.Number, Caller: acd.Party{Number: f.Number, Name: f.Name}}
	plan := s.plan()
	var cust *store.Customer
	if f.CustomerID != "" {
		if c, err := store.Get[store.Customer](s.store, f.CustomerID); err == nil {
			cust = &c
			p.Customer, p.Found = source.FromCustomer(c), true
		}
	}
	if s.cfg.Directory != nil {
		lctx, cancel := context.WithTimeout(ctx, followupLookupTimeout)
		res, err := s.cfg.Directory.Lookup(lctx, f.Number)
		cancel()
		switch {
		case err != nil:
			p.Partial = true
		case res.Found && (!p.Found || res.Record.CustomerID == f.CustomerID):
			p.Customer, p.Found = res.Record, true
			p.Partial, p.Errors = res.Partial, res.Errors
		default:
			p.Partial, p.Errors = res.Partial, res.Errors
		}
	}
	var err error
	if cust != nil {
		p.History, err = directory.CustomerHistory(s.store, plan, *cust, popHistory)
	} else {
		p.History, err = directory.History(s.store, plan, f.Number, popHistory)
	}
	if err != nil {
		s.log.Error("follow-up history", "number", f.Number, "err", err)
	}
	v := popView{Pop: p, NoCall: true}
	v.Fields, v.VIPLevel, v.Tags = s.popFields(lang, p.Customer.Fields)
	s.transferView(lang, &v)
	return v
}

// popHistory is how many past contacts a follow-up card shows.
const popHistory = 10

// conversationsView is the console's SMS panel list.
type conversationsView struct {
	Mine, Unclaimed []conversationRow
	NoAgent         bool
}

// conversationRow is a conversation as the list shows it.
type conversationRow struct {
	messaging.Conversation
	At   string
	Name string // the customer's name, when the directory has one
}

// myQueues returns the queues agent is a member of.
func (s *Server) myQueues(agent string) (map[string]bool, error) {
	qs, err := store.List[store.Queue](s.store)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, q := range qs {
		if slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return m.Agent == agent }) {
			mine[q.Name] = true
		}
	}
	return mine, nil
}

// agentConversations lists the open SMS conversations the agent holds and
// the unclaimed ones of the agent's queues (supervisors: every unclaimed
// one).
func (s *Server) agentConversations(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	me, err := s.agentOf(rc.user.Name)
	var queues map[string]bool
	if err == nil && me != "" {
		queues, err = s.myQueues(me)
	}
	var convs []messaging.Conversation
	if err == nil {
		convs, err = messaging.Conversations(s.store)
	}
	if err != nil {
		s.log.Error("list conversations", "user", rc.user.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	v := conversationsView{NoAgent: me == ""}
	zone := s.siteZone()
	names := s.customerNames()
	for _, c := range convs {
		if c.Closed {
			continue
		}
		row := conversationRow{Conversation: c, At: c.Updated.In(zone).Format("01-02 15:04"), Name: names[c.CustomerID]}
		switch {
		case me != "" && c.Agent == me:
			v.Mine = append(v.Mine, row)
		case c.Agent == "" && (isWatcher(rc.user) || queues[c.Queue]):
			v.Unclaimed = append(v.Unclaimed, row)
		}
	}
	s.fragment(w, rc, "agent_messages", "conversations", v)
}

// customerNames maps customer IDs to names, for the conversation list.
func (s *Server) customerNames() map[string]string {
	out := map[string]string{}
	_ = store.ListFunc(s.store, "", func(c store.Customer) bool { out[c.ID] = c.Name; return true })
	return out
}

// threadView is one conversation opened in the console.
type threadView struct {
	Conversation messaging.Conversation
	Name         string
	Messages     []threadMessage
	// Mine: the agent holds it (reply); Claimable: nobody does;
	// CanClose: the holder, or a supervisor.
	Mine, Claimable, CanClose bool
}

// threadMessage is one SMS of a thread.
type threadMessage struct {
	store.Message
	At string
}

// agentThread renders one conversation: the agent's own, an unclaimed
// one of their queues, or (supervisors) any.
func (s *Server) agentThread(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key := r.PathValue("key")
	c, err := messaging.Get(s.store, key)
	if errors.Is(err, messaging.ErrNoConversation) {
		s.fail(w, r, rc, http.StatusNotFound, "messaging.err.no_conversation")
		return
	}
	var msgs []store.Message
	if err == nil {
		msgs, err = messaging.ConversationMessages(s.store, key)
	}
	me := ""
	if err == nil {
		me, err = s.agentOf(rc.user.Name)
	}
	var queues map[string]bool
	if err == nil && me != "" {
		queues, err = s.myQueues(me)
	}
	if err != nil {
		s.log.Error("read conversation", "key", key, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	mine := me != "" && c.Agent == me
	if !isWatcher(rc.user) && !mine && !(c.Agent == "" && queues[c.Queue]) {
		s.forbidden(w, r, rc, "messaging.err.not_agent")
		return
	}
	v := threadView{Conversation: c, Mine: mine, Claimable: c.Agent == "" && me != "", CanClose: mine || isWatcher(rc.user)}
	if c.CustomerID != "" {
		if cu, err := store.Get[store.Customer](s.store, c.CustomerID); err == nil {
			v.Name = cu.Name
		}
	}
	zone := s.siteZone()
	for _, m := range msgs {
		at := m.CreatedAt
		if m.Direction == store.DirectionIn && !m.UpdatedAt.IsZero() {
			at = m.UpdatedAt
		}
		v.Messages = append(v.Messages, threadMessage{Message: m, At: at.In(zone).Format("01-02 15:04")})
	}
	s.fragment(w, rc, "agent_messages", "thread", v)
}
