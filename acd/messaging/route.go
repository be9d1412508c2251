package messaging

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"callbox/acd"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/sms"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/t4"
)

// onSMS routes one inbound SMS (the SMS service has stored it): into the
// history, then to an auto-reply rule or to its conversation's agents.
func (s *Service) onSMS(ctx context.Context, m store.Message, in sms.Inbound) {
	plan := planOf(s.st)
	key := Key(plan, m.Number)
	ev := received(m)
	ev.Conversation = key
	if !store.IsDialable(m.Number) {
		// An alphanumeric sender ("BANK") cannot be answered or filed
		// under a number; the console still shows it.
		s.emit(ev)
		return
	}
	contact := contactFor(s.st, plan, m, "")
	ev.CustomerID = contact.CustomerID
	if _, err := store.Put(s.st, contact); err != nil {
		s.log.Error("SMS history entry not written", "id", m.ID, "err", err)
	}
	// The stored rules are read for every message, so an installer's edit
	// applies to the next one.
	s.mu.Lock()
	extra := s.rules
	s.mu.Unlock()
	d, err := Evaluate(s.st, extra, Sample{From: m.Number, Line: m.Line, Text: m.Text, At: arrival(m)})
	if err != nil {
		s.log.Error("auto-reply rules not read", "id", m.ID, "err", err)
	}
	if len(d.Skipped) > 0 {
		s.log.Warn("auto-reply rules skipped", "rules", d.Skipped)
	}
	if d.Matched() {
		ev.Rule = d.Rule
		if err := applyRule(s.st, key, d, s.clock.Now()); err != nil {
			s.log.Error("auto-reply rule's queue or tag not kept", "rule", d.Rule, "err", err)
		}
	}
	if d.Reply != "" {
		reply, err := queueSMS(s.st, s.clock.Now(), m.Line, m.Number, d.Reply, "")
		if err != nil {
			s.log.Error("auto-reply not queued", "rule", d.Rule, "to", m.Number, "err", err)
		} else {
			s.log.Info("SMS answered by rule", "rule", d.Rule, "from", m.Number, "reply", reply.ID)
		}
	}
	if d.Answered() {
		if err := keepClosed(s.st, key, m); err != nil {
			s.log.Error("closed conversation not kept closed", "conversation", key, "err", err)
		}
		s.emit(ev)
		return
	}
	ev.Queue = s.routeOf(m.Line)
	if d.Queue != "" {
		ev.Queue = d.Queue
	} else if th, err := threadState(s.st, key); err == nil && th.Queue != "" {
		ev.Queue = th.Queue // an earlier rule sent the conversation there
	}
	agent, err := agentOf(s.st, plan, m.Number)
	if err != nil {
		s.log.Error("reading conversation assignment", "err", err)
	}
	if agent == "" && ev.Queue != "" && s.cfg.Assign != nil {
		c := Conversation{Key: key, Number: m.Number, CustomerID: contact.CustomerID, Line: m.Line, Queue: ev.Queue, Last: m, Updated: arrival(m)}
		if a := s.cfg.Assign(ctx, ev.Queue, c); a != "" {
			if err := Claim(s.st, key, a, false); err != nil {
				s.log.Warn("conversation not assigned", "agent", a, "conversation", key, "err", err)
			} else {
				agent = a
			}
		}
	}
	ev.Agent = agent
	if in.Partial {
		s.log.Info("SMS came in with parts missing", "id", m.ID, "missing", in.Missing, "parts", in.Parts)
	}
	s.emit(ev)
}

// onFax files a received fax: a preview of its first page, a history
// entry, and a work item for the line's queue.
func (s *Service) onFax(_ context.Context, m store.Message, r fax.Received) {
	if len(r.Pages) > 0 && m.Path != "" {
		if err := writeViews(s.dataDir, m, r.Pages); err != nil {
			s.log.Error("fax preview not written", "id", m.ID, "err", err)
		}
	}
	ev := received(m)
	ev.Queue = s.routeOf(m.Line)
	if store.IsDialable(m.Number) {
		plan := planOf(s.st)
		ev.Conversation = Key(plan, m.Number)
		if err := recordContact(s.st, plan, m, ""); err != nil {
			s.log.Error("fax history entry not written", "id", m.ID, "err", err)
		}
		ev.CustomerID = customerOf(s.st, plan, m.Number)
	}
	s.emit(ev)
}

// FaxPreview is the preview image (PNG, first page) of a fax, relative to
// the data directory ("" for a fax without pages).
func FaxPreview(m store.Message) string { return faxView(m, ".png") }

// FaxPDF is the PDF of a fax's pages, relative to the data directory (""
// for a fax without pages).
func FaxPDF(m store.Message) string { return faxView(m, ".pdf") }

func faxView(m store.Message, ext string) string {
	if m.Channel != store.ChannelFax || m.Path == "" {
		return ""
	}
	return strings.TrimSuffix(m.Path, filepath.Ext(m.Path)) + ext
}

// writeViews writes the PNG preview and the PDF of a fax next to its
// TIFF.
func writeViews(dataDir string, m store.Message, pages []*t4.Page) error {
	prev, err := previewPNG(pages[0])
	if err != nil {
		return err
	}
	var pdf bytes.Buffer
	if err := t4.WritePDF(&pdf, pages); err != nil {
		return fmt.Errorf("messaging: fax PDF: %w", err)
	}
	if err := writeFile(filepath.Join(dataDir, FaxPreview(m)), prev); err != nil {
		return err
	}
	return writeFile(filepath.Join(dataDir, FaxPDF(m)), pdf.Bytes())
}

func (s *Service) routeOf(lineID string) string {
	l, err := store.Get[store.Line](s.st, lineID)
	if err != nil {
		return ""
	}
	return l.Route
}

// received is the bus event of an inbound message, before routing.
func received(m store.Message) acd.MessageReceived {
	ev := acd.MessageReceived{ID: m.ID, Channel: acd.MessageSMS, From: m.Number, To: m.Line, Text: m.Text}
	if m.Channel == store.ChannelFax {
		ev.Channel, ev.Pages = acd.MessageFax, m.Pages
	}
	return ev
}

// emit tells the agent console (through acd/cti) about a routed inbound
// message. Bus.Publish never blocks, so a modem's goroutine may call it.
func (s *Service) emit(e acd.MessageReceived) {
	if s.cfg.Bus != nil {
		s.cfg.Bus.Publish(e)
	}
}

// Notification limits: one missed-call text per number in missedWindow; a
// callback is texted once, and only while it is fresh (a restart replays
// no old ones).
const (
	missedWindow  = time.Hour
	callbackFresh = 10 * time.Minute
	notifiedKeep  = 24 * time.Hour
)

// onCallEnded texts an outside caller whose call nobody answered.
func (s *Service) onCallEnded(r acd.CallRecord) {
	if !s.cfg.Notify.MissedCall || !missed(r) {
		return
	}
	key := "missed:" + Key(planOf(s.st), r.Caller.Number)
	if !s.firstNotice(key, missedWindow) {
		return
	}
	s.notify(r.Caller.Number, "messaging.notify.missed", "")
}

// missed reports whether a call from outside ended with nobody talking to
// the caller: never answered, or given up waiting in a queue.
func missed(r acd.CallRecord) bool {
	if !r.Caller.Source.External() || !store.IsDialable(r.Caller.Number) {
		return false
	}
	switch r.Disposition {
	case acd.DispositionAbandoned:
		return true
	case acd.DispositionVoicemail:
		return false // the caller left a message: it is answered from there
	}
	return r.Answer.IsZero() || (r.Queue != "" && r.Agent == "")
}

// onCallback texts the caller of a newly scheduled callback.
func (s *Service) onCallback(id string) {
	if !s.cfg.Notify.Callback {
		return
	}
	cb, err := store.Get[store.Callback](s.st, id)
	if err != nil || cb.State != "pending" || cb.Attempts > 0 || !store.IsDialable(cb.Number) {
		return
	}
	if s.clock.Now().Sub(cb.CreatedAt) > callbackFresh || !s.firstNotice("callback:"+id, notifiedKeep) {
		return
	}
	s.notify(cb.Number, "messaging.notify.callback", cb.Lang)
}

// firstNotice reports whether key was not noticed within window, and
// notes it now.
func (s *Service) firstNotice(key string, window time.Duration) bool {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.notified[key]; ok && now.Sub(t) < window {
		return false
	}
	if len(s.notified) > 1000 {
		for k, t := range s.notified {
			if now.Sub(t) > notifiedKeep {
				delete(s.notified, k)
			}
		}
	}
	s.notified[key] = now
	return true
}

// notify queues an automatic text in lang (the site's when empty).
func (s *Service) notify(number, msgKey string, lang i18n.Lang) {
	set, err := store.GetSettings(s.st)
	if err != nil {
		s.log.Error("notification SMS not queued: reading settings", "err", err)
		return
	}
	if lang == "" {
		lang = set.Lang
	}
	m, err := queueSMS(s.st, s.clock.Now(), "", number, i18n.T(lang, msgKey, set.SiteName), "")
	if err != nil {
		s.log.Error("notification SMS not queued", "to", number, "kind", msgKey, "err", err)
		return
	}
	s.log.Info("notification SMS queued", "to", number, "kind", msgKey, "id", m.ID)
}
