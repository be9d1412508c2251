package firmware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/dialplan"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/acd/ivr"
	"callbox/acd/messaging"
	"callbox/acd/pbx"
	"callbox/acd/queue"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/trunk"
	"callbox/acd/voicemail"
	"callbox/drivers/modem/modemsim"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// wiredServices are the services of other parts of the box that the
// router reaches, placed around the switch in the start order.
type wiredServices struct {
	beforeSwitch, afterSwitch []Service
}

// parts are the call-center services the router and the web UI reach.
type parts struct {
	trunks    *trunk.Set
	ivr       *ivr.Service
	runner    *ivr.Runner
	voicemail *voicemail.Service
	queue     *queue.Live
	directory *source.Live
	cti       *cti.Hub
	messaging *messaging.Service
	modems    *messaging.Simulator
	retention *Retention
}

// mwiTimeout bounds one message-waiting NOTIFY round.
const mwiTimeout = 5 * time.Second

// wire builds the call-center parts (trunks, IVR, voicemail, queues,
// CTI, SMS/fax) and connects the router's targets (t.route) to them. The
// router itself is made after wire returns, so the targets reach it
// through t.router at call time.
func (a *Appliance) wire(t *telephony) (wiredServices, error) {
	st, log := a.store, a.log
	var w wiredServices
	p := &t.parts
	var err error

	// SIP trunks dial out for the router; their peers must be known to the
	// SIP server before it runs.
	if p.trunks, err = trunk.New(st, t.srv, t.b2b, trunk.Config{}, trunk.WithLogger(log)); err != nil {
		return w, fmt.Errorf("trunks: %w", err)
	}
	t.gateways[dialplan.GatewayTrunk] = p.trunks.Dial

	// Prompts are paced by one clock for the whole box.
	pacer := prompt.NewPacer(prompt.RealClock{}, log)
	voice := &ivr.Voice{Pacer: pacer, Prompts: prompt.NewLibrary(filepath.Join(a.cfg.DataDir, "prompts")), Log: log}

	if p.voicemail, err = voicemail.NewService(voicemail.Config{Dir: filepath.Join(a.cfg.DataDir, "voicemail"),
		DataDir: a.cfg.DataDir, Store: st, Voice: voice, Now: a.now, Log: log,
		MWI: func(box string, newMsgs, oldMsgs int) {
			ctx, cancel := context.WithTimeout(context.Background(), mwiTimeout)
			defer cancel()
			if err := t.b2b.NotifyMWI(ctx, box, newMsgs, oldMsgs); err != nil {
				log.Debug("voicemail: message-waiting notify", "mailbox", box, "err", err)
			}
		}}); err != nil {
		return w, fmt.Errorf("voicemail: %w", err)
	}

	if p.queue, err = queue.NewLive(queue.WithDial(t.b2b.Dial), queue.WithStore(st), queue.WithBus(t.bus),
		queue.WithPrompts(voice.Prompts, pacer), queue.WithLiveClock(a.now), queue.WithLiveLogger(log),
		// Each queue's policy (store.Queue.Record; every call by default),
		// into <data>/rec.
		queue.WithConfiguredRecording(a.cfg.DataDir),
		queue.WithDialOut(func(ctx context.Context, number string, caller acd.Party) (acd.Leg, error) {
			return t.router.Reach(ctx, number, caller, nil)
		}),
		queue.WithRouter(func(ctx context.Context, c *acd.Call, d queue.Destination) error { return t.exit(ctx, c, d) }),
		// The screen pop is built in the hub's goroutine: the agent's phone
		// rings at once, the pop follows the customer lookup.
		queue.WithOfferNotice(func(_ context.Context, o queue.OfferNotice) {
			p.cti.Offer(cti.OfferInfo{CallID: o.CallID, Agent: o.Agent, Extension: o.Extension, Queue: o.Queue,
				Caller: o.Caller, Waited: o.Waited, Route: o.Route, Data: o.Data, Callback: o.Callback})
		}),
		queue.WithDisplayName(func(ctx context.Context, number string) string { return p.cti.DisplayName(ctx, number) }),
	); err != nil {
		return w, fmt.Errorf("queues: %w", err)
	}

	settings, err := store.GetSettings(st)
	if err != nil {
		return w, err
	}
	p.directory = source.NewLive(st, directory.PlanFor(settings.Country), log)
	if p.cti, err = cti.New(cti.Config{Store: st, Bus: t.bus, Lookup: p.directory,
		Plan: directory.PlanFor(settings.Country), Agents: p.queue, Control: ctiControl{t}, Now: a.now, Logger: log,
		Callbacks: ctiCallbacks{p.queue}, Dialable: func(n string) bool { return pbx.Dialable(t.plans.Current(), n) },
		// A transfer that rings an extension pops the call to the agent
		// logged in there.
		AgentAt: func(ext string) (string, bool) { return agentAt(p.queue.Dispatcher().Agents(), ext) }}); err != nil {
		return w, fmt.Errorf("cti: %w", err)
	}

	p.modems = messaging.NewSimulator(modemsim.NewNetwork("+8613800100500"))
	mcfg := messaging.Config{Store: st, DataDir: a.cfg.DataDir, Bus: t.bus, Open: p.modems.Open, Logger: log}
	if a.cfg.Demo {
		// The demo texts callers nobody answered and callers whose
		// callback was booked, through its simulated GSM modem.
		mcfg.Rules = messaging.DemoRules()
		mcfg.Notify = messaging.Notifications{MissedCall: true, Callback: true}
	}
	if p.messaging, err = messaging.New(mcfg); err != nil {
		return w, fmt.Errorf("messaging: %w", err)
	}

	// Old call records, recordings and history go nightly (retention.go).
	p.retention = NewRetention(RetentionConfig{Store: st, DataDir: a.cfg.DataDir,
		Voicemail: voicemailBoxes{Store: p.voicemail.Store(), dir: filepath.Join(a.cfg.DataDir, "voicemail")},
		Zone:      func() *time.Location { return ivr.SiteZone(st) }, Now: a.now, Log: log})

	p.ivr = ivr.NewService(st, log)
	p.runner = p.ivr.Runner(voice, ivr.Actions{
		Queue: func(ctx context.Context, c *acd.Call, r ivr.QueueRequest) error {
			req := queue.Request{Queue: r.Queue, Priority: r.Priority, Lang: r.Lang}
			for _, s := range r.Skills {
				req.Requirements = append(req.Requirements, queue.Requirement{Skill: s.Skill, MinLevel: s.MinLevel})
			}
			for k, v := range r.Vars {
				c.Set(k, v)
			}
			return p.queue.Wait(ctx, c, req)
		},
		Transfer: func(ctx context.Context, c *acd.Call, r ivr.TransferRequest) error {
			if r.Extension != "" {
				return t.b2b.RingExtension(ctx, c, r.Extension)
			}
			return t.router.Connect(ctx, c, r.Number)
		},
		Voicemail: p.voicemail.Leave,
		Callback: func(ctx context.Context, c *acd.Call, r ivr.CallbackRequest) error {
			_, err := p.queue.BookCallback(ctx, c, queue.Request{Queue: r.Queue, Lang: r.Lang}, r.Number)
			return err
		},
		SendFax: func(ctx context.Context, c *acd.Call, r ivr.FaxRequest) error {
			return p.messaging.SendFax(ctx, c.Caller().Caller().Number, r.Document)
		},
	}, demoDoer{orders: ivr.DemoOrders(), next: &http.Client{Timeout: lookupTimeout}})
	// Flows branch on the caller's customer record (customer.*).
	p.runner.Vars = customerVars(p.directory)

	// A customer handed to a desk phone shows with their directory name.
	t.route.Dial = namedDial(t.b2b.Dial, func(ctx context.Context, n string) string { return p.cti.DisplayName(ctx, n) })
	t.route.Queue = p.queue.Target
	// "queue:NAME" targets of consultations and blind transfers ring the
	// queue's best free agent through the dispatcher.
	t.route.ReachQueue = func(ctx context.Context, r pbx.QueueReach) (acd.Leg, string, string, error) {
		req := queue.ReachRequest{Queue: r.Queue, Call: r.Call, CallerLeg: r.CallerLeg}
		if r.Ringing != nil {
			req.Ringing = func(x queue.Reached) { r.Ringing(x.Agent, x.Extension) }
		}
		leg, got, err := p.queue.Reach(ctx, req)
		return leg, got.Agent, got.Extension, err
	}
	// A customer a blind transfer to a queue could not hand to an agent
	// waits in that queue instead of being dropped (recall.go).
	t.route.ReachQueue = waitsOnly(t.route.ReachQueue, p.queue.Dispatcher())
	t.route.Requeue = requeueTo(p.queue)
	t.route.Flow = p.runner.Run
	t.route.Voicemail = p.voicemail.Deposit
	t.route.HasMailbox = func(ext string) bool {
		e, err := store.Get[store.Extension](st, ext)
		return err == nil && e.Voicemail
	}
	t.route.Mailbox = p.voicemail.Mailbox
	t.route.Pickup = t.b2b.Pickup
	t.route.AgentLogin, t.route.AgentLogout = p.queue.FeatureLogin, p.queue.FeatureLogout
	t.route.AgentPause, t.route.AgentUnpause = p.queue.FeaturePause, p.queue.FeatureUnpause

	// The pacer and the flows before the switch takes calls; the queue,
	// CTI and messaging once calls can reach them.
	w.beforeSwitch = []Service{p.trunks, &pacerService{pacer}, p.ivr, p.voicemail}
	// The installer's prompts (store records, so backups carry them) are
	// mirrored into the library's override directory before calls play.
	w.beforeSwitch = append(w.beforeSwitch, &promptFiles{st: st, lib: voice.Prompts, log: log})
	w.afterSwitch = []Service{p.queue, &midnight{now: a.now, zone: func() *time.Location { return ivr.SiteZone(st) },
		reset: p.queue.Dispatcher().ResetCounters}, p.directory, p.cti, p.messaging}
	w.afterSwitch = append(w.afterSwitch, p.retention)
	return w, nil
}

// exit sends a caller leaving a queue (exit key, maximum wait, no agents)
// to its destination; the queue has recorded the step on the route.
func (t *telephony) exit(ctx context.Context, c *acd.Call, d queue.Destination) error {
	switch d.Kind {
	case queue.DestFlow:
		return t.parts.runner.Run(ctx, c, d.Target)
	case queue.DestVoicemail:
		c.SetDisposition(acd.DispositionVoicemail)
		return t.parts.voicemail.Deposit(ctx, c, d.Target)
	case queue.DestExtension:
		return t.b2b.RingExtension(ctx, c, d.Target)
	case queue.DestNumber:
		return t.router.Connect(ctx, c, d.Target)
	case queue.DestQueue:
		return t.parts.queue.Target(ctx, c, d.Target)
	}
	return &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("queue exit to %q", d.String())}
}

// pacerService runs the prompt pacer, the clock of all prompt playback.
type pacerService struct{ p *prompt.Pacer }

func (s *pacerService) Name() string { return "prompts" }
func (s *pacerService) Run(ctx context.Context) error {
	if err := s.p.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// promptFiles keeps the prompt library's override directory equal to the
// custom prompts in the store (prompt.Follow).
type promptFiles struct {
	st  *store.Store
	lib *prompt.Library
	log *slog.Logger
}

func (s *promptFiles) Name() string { return "prompt-files" }
func (s *promptFiles) Run(ctx context.Context) error {
	return prompt.Follow(ctx, s.st, s.lib, s.log)
}

// ctiControl is the CTI API's call control: the router's (pbx.Control,
// made once the router exists), with its errors named as the CTI names
// them.
type ctiControl struct{ t *telephony }

func ctiErr(err error) error {
	switch {
	case errors.Is(err, pbx.ErrUnknownCall):
		return fmt.Errorf("%w: %w", cti.ErrUnknownCall, err)
	case errors.Is(err, pbx.ErrConsulting):
		return fmt.Errorf("%w: %w", cti.ErrConsulting, err)
	case errors.Is(err, pbx.ErrNoConsult):
		return fmt.Errorf("%w: %w", cti.ErrNoConsult, err)
	case errors.Is(err, b2bua.ErrNotRinging):
		return fmt.Errorf("%w: %w", cti.ErrNotRinging, err)
	case errors.Is(err, b2bua.ErrAnswerRefused):
		return fmt.Errorf("%w: %w", cti.ErrPhoneRefused, err)
	case errors.Is(err, b2bua.ErrNoAnswerResponse):
		return fmt.Errorf("%w: %w", cti.ErrPhoneSilent, err)
	}
	return err
}

func (c ctiControl) Originate(ctx context.Context, ext, number string) (string, error) {
	id, err := c.t.control.Originate(ctx, ext, number)
	return id, ctiErr(err)
}

func (c ctiControl) Hangup(ctx context.Context, id string) error {
	return ctiErr(c.t.control.Hangup(ctx, id))
}

func (c ctiControl) Hold(ctx context.Context, id string, on bool) error {
	return ctiErr(c.t.control.Hold(ctx, id, on))
}

func (c ctiControl) Transfer(ctx context.Context, id, target string) error {
	return ctiErr(c.t.control.Transfer(ctx, id, target))
}

func (c ctiControl) Conference(ctx context.Context, id, target string) error {
	return ctiErr(c.t.control.Conference(ctx, id, target))
}

// Consult, CompleteConsult and CancelConsult make ctiControl a
// cti.Consulter (pbx.Control's consultative transfer).
func (c ctiControl) Consult(ctx context.Context, id, target string) error {
	return ctiErr(c.t.control.Consult(ctx, id, target))
}

func (c ctiControl) CompleteConsult(ctx context.Context, id string) error {
	return ctiErr(c.t.control.CompleteConsult(ctx, id))
}

func (c ctiControl) CancelConsult(ctx context.Context, id string) error {
	return ctiErr(c.t.control.CancelConsult(ctx, id))
}

// Answer makes ctiControl a cti.Answerer: the B2BUA's remote answer of
// ext's phone ringing for the call (the one dialled for the call's
// caller, else any: the queue rings agents without naming the caller).
func (c ctiControl) Answer(ctx context.Context, id, ext string) error {
	call, ok := c.t.sw.Call(id)
	if !ok {
		return fmt.Errorf("%w: %s", cti.ErrUnknownCall, id)
	}
	err := c.t.b2b.AnswerRinging(ctx, ext, call.Caller())
	if errors.Is(err, b2bua.ErrNotRinging) {
		err = c.t.b2b.AnswerRinging(ctx, ext, nil)
	}
	return ctiErr(err)
}

// ctiCallbacks books the CTI's scheduled callbacks in the queues, as
// ACD callbacks (stored, dialled and retried by the queue).
type ctiCallbacks struct{ l *queue.Live }

func (q ctiCallbacks) BookCallback(ctx context.Context, b cti.Booking) error {
	_, err := q.l.Dispatcher().BookCallback(ctx, queue.Call{ID: b.ID, Queue: b.Queue, Caller: b.Number, CallerName: b.Name}, b.Number)
	return err
}

func (q ctiCallbacks) CancelCallback(ctx context.Context, id string) error {
	return q.l.Dispatcher().CancelCallback(ctx, id)
}

// midnight resets the agents' daily counters (calls taken, talk time) at
// midnight in the box's time zone, so the console's "today" is today.
type midnight struct {
	now   func() time.Time
	zone  func() *time.Location
	reset func()
}

func (m *midnight) Name() string { return "midnight" }

func (m *midnight) Run(ctx context.Context) error {
	for {
		t := time.NewTimer(untilMidnight(m.now(), m.zone()))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
			m.reset()
		}
	}
}

// untilMidnight is how long from now until the next midnight in loc; a
// day without midnight (a DST jump at 00:00) takes the next 00:00 there is.
func untilMidnight(now time.Time, loc *time.Location) time.Duration {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	next := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, loc)
	if d := next.Sub(now); d > 0 {
		return d
	}
	return time.Minute
}
