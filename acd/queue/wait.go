package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// Request is what a call brings to a queue.
type Request struct {
	Queue string
	// Priority: higher is served first (VIP callers from customer data).
	Priority int
	// Requirements set by the IVR or the route, added to the queue's.
	Requirements []Requirement
	// Designated names an agent to offer the call to first.
	Designated string
	// Lang is the caller's language for announcements ("" = the queue's).
	Lang string
}

// maxOverflowHops bounds a chain of queues that refuse callers and
// overflow into each other.
const maxOverflowHops = 8

// callbackEntryTimeout is how long a caller has for each step of asking
// for a callback before the queue goes on as before.
const callbackEntryTimeout = 15 * time.Second

// Wait runs a caller's time in a queue inside the call's goroutine. It
// answers the caller, joins the queue, plays hold music and the
// position/wait announcements in the caller's language, handles exit
// keys (voicemail, flow, callback), rings the agents the dispatcher
// offers the call to and bridges the first who answers. It returns when
// that bridge ends (nil when the agent hung up, acd.ErrHungUp when the
// caller did), when the caller left for a callback (nil) or when the
// caller was routed out (the RouteFunc's result). A queue that refuses
// the caller (ErrNoAgents, ErrQueueFull) sends them to its overflow; one
// without overflow returns the error.
func (l *Live) Wait(ctx context.Context, c *acd.Call, req Request) error {
	if err := c.Answer(ctx); err != nil {
		return err
	}
	id := c.ID()
	p := partyOf(c)
	for hop := 0; ; hop++ {
		if req.Lang == "" {
			req.Lang = l.defaultLang(req.Queue)
		}
		in := l.mb.Open(id)
		c.AddRoute("queue:" + req.Queue)
		c.SetQueue(req.Queue)
		tk, err := l.join(id, p, &req)
		if err == nil {
			w := l.newWaiter(c, in, req.Queue)
			err = w.run(ctx, tk)
			if err == nil && w.answer != nil {
				err = w.talk(ctx)
			}
			l.mb.Close(id)
			return err
		}
		l.mb.Close(id)
		if !errors.Is(err, ErrNoAgents) && !errors.Is(err, ErrQueueFull) {
			return err
		}
		over, ok := l.overflow(req.Queue, hop)
		switch {
		case !ok:
			return err
		case over.Kind != DestQueue:
			return l.leaveFor(ctx, c, over, req.Lang)
		}
		req.Queue = over.Target
	}
}

// join puts the caller in req's queue. The call's goroutine waits in
// Wait for the whole call, so what only the joining needs (the
// dispatcher's Call) is in this frame, not in Wait's: a small stack
// there is halved by the runtime.
//
//go:noinline
func (l *Live) join(id string, p acd.Party, req *Request) (Ticket, error) {
	return l.d.Join(Call{ID: id, Queue: req.Queue, Caller: p.Number, CallerName: p.Name, Lang: req.Lang,
		Priority: req.Priority, Requirements: req.Requirements, Designated: req.Designated})
}

// overflow is where a queue that refused a caller sends them, after hop
// overflows so far; false where it sends them nowhere (join says why it
// is a function of its own).
//
//go:noinline
func (l *Live) overflow(queue string, hop int) (Destination, bool) {
	cfg, err := l.d.Queue(queue)
	if err != nil || cfg.Overflow.Kind == DestNone || hop >= maxOverflowHops {
		return Destination{}, false
	}
	return cfg.Overflow, true
}

// leaveFor sends a caller who left a queue to dest.
func (l *Live) leaveFor(ctx context.Context, c *acd.Call, dest Destination, lang string) error {
	if dest.Kind == DestNone {
		l.say(ctx, c, lang, "queue-timeout")
		return &acd.CauseError{Cause: acd.CauseNormalUnspecified, Err: ErrNoService}
	}
	if l.route == nil {
		return &acd.CauseError{Cause: acd.CauseNoRoute, Err: wrapf(ErrNoRoute, "queue: to %s", dest)}
	}
	// The destination records its own route step (flow, voicemail, ext).
	return l.route(ctx, c, dest)
}

// say plays prompts to the caller and waits for them to end.
func (l *Live) say(ctx context.Context, c *acd.Call, lang string, keys ...string) {
	ep := c.Caller().Media()
	if ep == nil {
		return
	}
	seq := l.lib.Sequence(langOf(lang), keys...)
	defer seq.Close()
	if _, err := l.pacer.Play(ctx, seq, ep.Writer()); err != nil && ctx.Err() == nil {
		l.log.Warn("queue: prompt", "call", c.ID(), "keys", keys, "err", err)
	}
}

// defaultLang is the language of a caller who brought none: the queue's,
// else the site's.
func (l *Live) defaultLang(queue string) string {
	if cfg, err := l.d.Queue(queue); err == nil && cfg.Lang != "" {
		return cfg.Lang
	}
	if l.st != nil {
		if set, err := store.GetSettings(l.st); err == nil {
			return string(set.Lang)
		}
	}
	return ""
}

// langOf picks a prompt language the box has, English by default.
func langOf(lang string) string {
	if slices.Contains(prompt.Languages, lang) {
		return lang
	}
	return "en"
}

// digitsOf finds where a leg's DTMF arrives: the leg itself, or its
// media session (RFC 4733 events on RTP).
func digitsOf(leg acd.Leg) <-chan byte {
	if ds, ok := leg.(acd.DigitSource); ok {
		return ds.Digits()
	}
	if ep := leg.Media(); ep != nil {
		if ds, ok := ep.(acd.DigitSource); ok {
			return ds.Digits()
		}
	}
	return nil
}

// waiter is one caller waiting in a queue.
type waiter struct {
	l       *Live
	c       *acd.Call
	id      string
	queue   string
	lang    string
	in      *Inbox
	digits  <-chan byte
	hold    *holdSource
	stopped bool
	stopMed func()
	rings   map[string]*ring
	results chan ringResult
	quit    chan struct{}
	wg      sync.WaitGroup

	// asking for a callback: 0 no, 1 confirming the caller's number, 2
	// entering another
	cbStep   int
	cbDigits []byte
	cbTimer  *time.Timer

	// answer is the ring an agent answered, once run has returned for
	// Wait to bridge it (talk).
	answer *ringResult
}

type ring struct{ cancel context.CancelFunc }

type ringResult struct {
	agent string
	r     *ring
	leg   acd.Leg
	err   error
}

func (l *Live) newWaiter(c *acd.Call, in *Inbox, queue string) *waiter {
	lang := ""
	if cfg, err := l.d.Queue(queue); err == nil {
		lang = cfg.Lang
	}
	return &waiter{l: l, c: c, id: c.ID(), queue: queue, lang: lang, in: in, digits: digitsOf(c.Caller()),
		rings: map[string]*ring{}, results: make(chan ringResult), quit: make(chan struct{})}
}

func (w *waiter) run(ctx context.Context, tk Ticket) error {
	w.startMedia(ctx)
	defer w.stop()
	w.greet(tk)
	w.cbTimer = time.NewTimer(time.Hour)
	w.cbTimer.Stop()
	defer w.cbTimer.Stop()
	for {
		var done bool
		var err error
		select {
		case <-ctx.Done():
			if lerr := w.l.d.Leave(w.id, LeftAbandoned); lerr == nil {
				w.c.SetDisposition(acd.DispositionAbandoned)
			}
			return context.Cause(ctx)
		case d := <-w.digits:
			done, err = w.key(ctx, d)
		case <-w.in.wake:
			for a, ok := w.in.take(); ok && !done; a, ok = w.in.take() {
				done, err = w.act(ctx, a)
			}
		case r := <-w.results:
			done, err = w.rang(r)
		case <-w.cbTimer.C:
			w.cbStep, w.cbDigits = 0, nil
		}
		if done {
			return err
		}
	}
}

// startMedia plays hold music (and, later, announcements) to the caller
// from one Play that lasts the whole wait.
func (w *waiter) startMedia(ctx context.Context) {
	ep := w.c.Caller().Media()
	if ep == nil {
		w.stopMed = func() {}
		return
	}
	w.hold = newHoldSource(w.l.hold)
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = w.l.pacer.Play(mctx, w.hold, ep.Writer())
	}()
	w.stopMed = func() {
		cancel()
		<-done
		w.hold.close()
	}
}

// stop ends the caller's music and every ring still going, and waits for
// them; an agent who answers after this is hung up. Idempotent.
func (w *waiter) stop() {
	if w.stopped {
		return
	}
	w.stopped = true
	w.stopMed()
	close(w.quit)
	for _, r := range w.rings {
		r.cancel()
	}
	w.rings = nil
	w.wg.Wait()
}

// announce queues prompts for the caller, between the hold music.
func (w *waiter) announce(lang string, keys ...string) {
	if w.hold == nil || len(keys) == 0 {
		return
	}
	w.hold.announce(w.l.lib.Sequence(langOf(lang), keys...))
}

// greet tells a caller who must wait their place at once, by the
// queue's announcement settings; the dispatcher repeats it every
// AnnounceEvery. A caller offered to an agent straight away hears music.
func (w *waiter) greet(tk Ticket) {
	cfg, err := w.l.d.Queue(w.queue)
	if err != nil || cfg.AnnounceEvery <= 0 || w.in.pending() > 0 {
		return
	}
	w.act(context.Background(), Announce{CallID: w.id, Queue: w.queue, Lang: w.langNow(), Position: tk.Position,
		EstimatedWait: tk.EstimatedWait, SayPosition: cfg.AnnouncePosition, SayWait: cfg.AnnounceWait,
		EstimatedMinutes: int((tk.EstimatedWait + time.Minute - 1) / time.Minute)})
}

// act carries out one of the dispatcher's actions for this caller.
func (w *waiter) act(ctx context.Context, a Action) (bool, error) {
	switch a := a.(type) {
	case Offer:
		w.offer(ctx, a)
	case Cancel:
		if r, ok := w.rings[a.AgentID]; ok {
			r.cancel()
			delete(w.rings, a.AgentID)
		}
	case Announce:
		var keys []string
		if a.SayPosition {
			k, err := prompt.SayPosition(langOf(a.Lang), a.Position)
			if err == nil {
				keys = append(keys, k...)
			}
		}
		if a.SayWait && a.EstimatedWait > 0 {
			k, err := prompt.SayWait(langOf(a.Lang), a.EstimatedMinutes)
			if err == nil {
				keys = append(keys, k...)
			}
		}
		w.announce(a.Lang, keys...)
	case Route:
		if a.Moved {
			w.queue = a.To.Target
			w.c.AddRoute("queue:" + a.To.Target)
			w.c.SetQueue(a.To.Target)
			return false, nil
		}
		w.stop()
		return true, w.l.leaveFor(ctx, w.c, a.To, w.langNow())
	}
	return false, nil
}

func (w *waiter) langNow() string {
	if t, err := w.l.d.CallLang(w.id); err == nil && t != "" {
		return t
	}
	return w.lang
}

// offer rings an agent in a goroutine the waiter owns.
func (w *waiter) offer(ctx context.Context, o Offer) {
	if old, ok := w.rings[o.AgentID]; ok {
		old.cancel()
	}
	// The dispatcher times the offer out at RingFor and says so with a
	// Cancel; the extra second lets that report win the race.
	rctx, cancel := context.WithTimeout(ctx, o.RingFor+time.Second)
	r := &ring{cancel: cancel}
	w.rings[o.AgentID] = r
	rec := w.c.Record()
	n := OfferNotice{CallID: w.id, Agent: o.AgentID, Extension: o.Extension, Queue: o.Queue, Caller: partyOf(w.c),
		Route: rec.Route, Data: rec.Data}
	if waited, err := w.l.d.Waited(w.id); err == nil {
		n.Waited = waited
	}
	w.wg.Go(func() {
		defer cancel()
		party := w.l.announceOffer(rctx, n)
		leg, err := w.l.dial(rctx, o.Extension, party, nil)
		select {
		case w.results <- ringResult{agent: o.AgentID, r: r, leg: leg, err: err}:
		case <-w.quit:
			if leg != nil {
				_ = leg.Hangup(acd.CauseNormalClearing)
			}
		}
	})
}

// rang settles a ring that ended: a miss is reported; an answer ends the
// wait, for Wait to bridge it (talk).
func (w *waiter) rang(res ringResult) (bool, error) {
	if cur, ok := w.rings[res.agent]; !ok || cur != res.r {
		// The offer was withdrawn (timeout, answered elsewhere).
		if res.leg != nil {
			_ = res.leg.Hangup(acd.CauseNormalClearing)
		}
		return false, nil
	}
	delete(w.rings, res.agent)
	if res.err != nil {
		w.missed(res)
		return false, nil
	}
	if err := w.l.d.Answered(w.id, res.agent); err != nil {
		_ = res.leg.Hangup(acd.CauseNormalClearing)
		return false, nil
	}
	w.stop()
	w.c.SetAgent(res.agent)
	w.answer = &res
	return true, nil
}

// talk bridges the caller to the agent who answered (w.answer) until
// either hangs up. Wait calls it once run has returned, rather than run
// itself: the call's goroutine waits in it for the whole call, and
// without run's frames under it the stack is small enough for the
// runtime to halve (8 KB less per call).
func (w *waiter) talk(ctx context.Context) error {
	res := w.answer
	// The agent is free (wrap-up) as soon as their own leg ends, even if
	// the call goes on without them (a transfer); otherwise when the
	// bridge ends.
	hungUp := sync.OnceFunc(func() { w.hungUp(ctx) })
	stop := acd.AfterEnd(res.leg, hungUp)
	err := w.l.talk(ctx, w.c, res.agent, w.queue, res.leg)
	stop()
	hungUp() // a OnceFunc: if the watch fired, this waits for its call to return
	return err
}

// missed reports a ring that ended unanswered.
func (w *waiter) missed(res ringResult) {
	report := w.l.d.NoAnswer
	if rejected(res.err) {
		report = w.l.d.Rejected
	}
	if err := report(w.id, res.agent); err != nil && !errors.Is(err, ErrNoOffer) && !errors.Is(err, ErrUnknownCall) {
		w.l.log.Warn("queue: report miss", "call", w.id, "agent", res.agent, "err", err)
	}
}

// hungUp reports that the agent's part of the call is over. It is a
// function of its own, not code in talk: the call's goroutine waits
// under talk, and the log call's arguments in its frame would keep that
// stack too big for the runtime to halve.
//
//go:noinline
func (w *waiter) hungUp(ctx context.Context) {
	if err := w.l.d.Hangup(context.WithoutCancel(ctx), w.id); err != nil {
		w.l.log.Warn("queue: hangup report", "call", w.id, "err", err)
	}
}

// key handles a key the caller pressed while waiting.
func (w *waiter) key(ctx context.Context, d byte) (bool, error) {
	switch w.cbStep {
	case 1:
		return w.confirmKey(ctx, d)
	case 2:
		return w.numberKey(ctx, d)
	}
	x, ok := w.l.d.ExitKey(w.id, string(d))
	if !ok {
		return false, nil
	}
	switch x.Kind {
	case ExitCallback:
		if Dialable(partyOf(w.c).Number) {
			w.cbStep = 1
			w.announce(w.langNow(), "callback-confirm-number")
		} else {
			w.cbStep = 2
			w.announce(w.langNow(), "callback-enter-number")
		}
		w.cbTimer.Reset(callbackEntryTimeout)
		return false, nil
	case ExitVoicemail, ExitFlow:
		if err := w.l.d.Leave(w.id, LeftExit); err != nil {
			// Already with an agent or gone: the key came too late.
			return false, nil
		}
		w.stop()
		kind := DestVoicemail
		if x.Kind == ExitFlow {
			kind = DestFlow
		}
		return true, w.l.leaveFor(ctx, w.c, Destination{Kind: kind, Target: x.Target}, w.langNow())
	}
	return false, nil
}

func (w *waiter) confirmKey(ctx context.Context, d byte) (bool, error) {
	switch d {
	case '1':
		return w.callback(ctx, partyOf(w.c).Number)
	case '2':
		w.cbStep, w.cbDigits = 2, nil
		w.announce(w.langNow(), "callback-enter-number")
		w.cbTimer.Reset(callbackEntryTimeout)
	default:
		w.cbStep = 0
		w.cbTimer.Stop()
	}
	return false, nil
}

func (w *waiter) numberKey(ctx context.Context, d byte) (bool, error) {
	switch {
	case d == '#':
		return w.callback(ctx, string(w.cbDigits))
	case d == '*':
		w.cbStep, w.cbDigits = 0, nil
		w.cbTimer.Stop()
	case d >= '0' && d <= '9' && len(w.cbDigits) < 20:
		w.cbDigits = append(w.cbDigits, d)
		w.cbTimer.Reset(callbackEntryTimeout)
	}
	return false, nil
}

// callback turns the caller into a callback that keeps their place. A
// number the box cannot dial is refused: the caller hears so and keeps
// waiting.
func (w *waiter) callback(ctx context.Context, number string) (bool, error) {
	w.cbStep, w.cbDigits = 0, nil
	w.cbTimer.Stop()
	if _, err := w.l.d.RequestCallback(ctx, w.id, number); err != nil {
		if errors.Is(err, ErrNotWaiting) {
			return false, nil
		}
		w.l.log.Info("queue: callback refused", "call", w.id, "err", err)
		w.announce(w.langNow(), "invalid-choice")
		return false, nil
	}
	// From here the dispatcher's actions for this ID are the callback's.
	w.l.mb.Handover(w.id)
	w.c.AddRoute("callback:" + number)
	w.stop()
	w.l.say(ctx, w.c, w.langNow(), "callback-scheduled")
	return true, nil
}
