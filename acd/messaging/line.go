package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/sms"
	"callbox/firmware/store"
)

// Waits between attempts to bring a line up again after its device failed
// to open or its modem went away.
const (
	restartMin = time.Second
	restartMax = time.Minute
)

// readyPoll is how often a starting modem is checked for the end of its
// probe (a pacing loop: the driver has no ready notification).
const readyPoll = 20 * time.Millisecond

// statePoll is how often a running modem's state is looked at.
const statePoll = 250 * time.Millisecond

type role int

const (
	roleUnknown role = iota // not probed yet
	roleNo
	roleYes
)

// line is one modem line and the goroutine that runs it.
type line struct {
	rec    store.Line
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	m       *modem.Modem
	last    modem.Status // kept when the modem goes away
	probed  bool
	sms     *sms.Service
	fax     *fax.Service
	openErr string
}

func (l *line) carries(ch store.Channel) role {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.probed {
		return roleUnknown
	}
	if (ch == store.ChannelSMS && l.sms != nil) || (ch == store.ChannelFax && l.fax != nil) {
		return roleYes
	}
	return roleNo
}

func (l *line) kick(ch store.Channel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case ch == store.ChannelSMS && l.sms != nil:
		l.sms.Kick()
	case ch == store.ChannelFax && l.fax != nil:
		l.fax.Kick()
	}
}

func (l *line) modemState() modem.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		return modem.StateStopped
	}
	return l.m.State()
}

func (l *line) status() ModemStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := ModemStatus{Line: l.rec.ID, Name: l.rec.Name, Device: l.rec.Device, SMS: l.sms != nil, Fax: l.fax != nil,
		Modem: l.last, Error: l.openErr}
	switch {
	case l.m != nil:
		st.Modem = l.m.Status()
	case l.openErr == "":
		// Between the probe and the start with the line's settings.
		st.Modem.State = modem.StateStarting
	}
	if st.Modem.Name == "" {
		st.Modem.Name, st.Modem.State = l.rec.ID, modem.StateStarting
	}
	return st
}

// reconcile starts, restarts and stops line goroutines to match the
// enabled gsm lines in the store.
func (s *Service) reconcile(ctx context.Context) error {
	recs, err := store.List[store.Line](s.st)
	if err != nil {
		return err
	}
	want := map[string]store.Line{}
	for _, r := range recs {
		if r.Type == store.LineGSM && r.Enabled {
			want[r.ID] = r
		}
	}
	s.mu.Lock()
	var stop []*line
	for id, l := range s.lines {
		if r, ok := want[id]; !ok || r != l.rec {
			stop = append(stop, l)
			delete(s.lines, id)
		}
	}
	s.mu.Unlock()
	for _, l := range stop {
		l.cancel()
		<-l.done
		s.log.Info("modem line stopped", "line", l.rec.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, r := range want {
		if _, ok := s.lines[id]; ok {
			continue
		}
		lctx, cancel := context.WithCancel(ctx)
		l := &line{rec: r, cancel: cancel, done: make(chan struct{})}
		s.lines[id] = l
		go s.runLine(lctx, l)
	}
	return nil
}

// stopLines stops every line and waits for them.
func (s *Service) stopLines() {
	s.mu.Lock()
	ls := make([]*line, 0, len(s.lines))
	for id, l := range s.lines {
		ls = append(ls, l)
		delete(s.lines, id)
	}
	s.mu.Unlock()
	for _, l := range ls {
		l.cancel()
		<-l.done
	}
}

// runLine keeps one line's modem and services running until ctx ends,
// bringing them up again after the device fails.
func (s *Service) runLine(ctx context.Context, l *line) {
	defer close(l.done)
	log := s.log.With("line", l.rec.ID)
	wait := restartMin
	for {
		start := s.clock.Now()
		err := s.lineOnce(ctx, l, log)
		if ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		l.openErr = err.Error()
		l.mu.Unlock()
		log.Warn("modem line down; will try again", "err", err, "in", wait)
		if s.clock.Now().Sub(start) > restartMax {
			wait = restartMin // it ran a good while: a fresh failure
		}
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(wait):
		}
		wait = min(2*wait, restartMax)
	}
}

// modemOptions are the driver options of line id with init commands.
func (s *Service) modemOptions(id string, init []string) []modem.Option {
	opts := []modem.Option{modem.WithName(id), modem.WithInit(init...), modem.WithLogger(s.log)}
	if s.cfg.PowerCycle != nil {
		opts = append(opts, modem.WithPowerCycle(func(ctx context.Context) error { return s.cfg.PowerCycle(ctx, id) }))
	}
	return append(opts, s.cfg.ModemOptions...)
}

// probe opens the modem without role settings to learn what it is, then
// closes it: the settings of a role (fax class 2.0, SMS storage) must
// not touch a modem of the other kind, and the driver sends its init
// commands at every reset, so they are chosen before the real start.
func (s *Service) probe(ctx context.Context, l *line) (modem.Info, error) {
	port, err := s.cfg.Open(ctx, l.rec)
	if err != nil {
		return modem.Info{}, fmt.Errorf("opening %s: %w", l.rec.Device, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	m := modem.New(port, s.modemOptions(l.rec.ID, nil)...)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	l.mu.Lock()
	l.m, l.openErr = m, ""
	l.mu.Unlock()
	info, err := waitReady(ctx, m)
	cancel()
	<-done
	l.mu.Lock()
	l.m, l.last = nil, m.Status()
	l.mu.Unlock()
	return info, err
}

// lineOnce opens the modem, waits for its probe, runs the services its
// capabilities call for, and returns when one of them stops.
func (s *Service) lineOnce(ctx context.Context, l *line, log *slog.Logger) error {
	caps, err := s.probe(ctx, l)
	if err != nil {
		return err
	}
	// A GSM modem that also lists fax classes is an SMS line: fax over
	// GSM data calls is gone from the networks, and a fax role would
	// answer its voice calls.
	wantSMS, wantFax := caps.SMSPDU, caps.Fax() && !caps.SMSPDU
	init := fax.InitCommands
	if wantSMS {
		init = sms.InitCommands
	}
	port, err := s.cfg.Open(ctx, l.rec)
	if err != nil {
		return fmt.Errorf("opening %s: %w", l.rec.Device, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	id := l.rec.ID
	m := modem.New(port, s.modemOptions(id, init)...)
	errc := make(chan error, 3)
	wg.Go(func() { errc <- fmt.Errorf("modem: %w", m.Run(ctx)) })
	l.mu.Lock()
	l.m, l.openErr = m, ""
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.last, l.m, l.sms, l.fax, l.probed = m.Status(), nil, nil, nil, false
		l.mu.Unlock()
	}()

	info, err := waitReady(ctx, m)
	if err != nil {
		return err
	}
	var smsSvc *sms.Service
	var faxSvc *fax.Service
	if wantSMS && info.SMSPDU {
		opts := []sms.ServiceOption{sms.WithHandler(s.onSMS), sms.WithClock(s.clock), sms.WithLogger(s.log)}
		if len(s.cfg.RetryDelays) > 0 {
			opts = append(opts, sms.WithRetryDelays(s.cfg.RetryDelays...))
		}
		smsSvc = sms.NewService(m, s.st, id, opts...)
		wg.Go(func() { errc <- fmt.Errorf("sms: %w", smsSvc.Run(ctx)) })
	}
	if wantFax && info.Fax() {
		localID := l.rec.Number
		if localID == "" {
			localID = s.cfg.LocalID
		}
		opts := []fax.Option{fax.WithHandler(s.onFax), fax.WithClock(s.clock), fax.WithLogger(s.log)}
		if len(s.cfg.RetryDelays) > 0 {
			opts = append(opts, fax.WithRetryDelays(s.cfg.RetryDelays...))
		}
		faxSvc = fax.NewService(m, s.st, id, s.dataDir, localID, opts...)
		wg.Go(func() { errc <- fmt.Errorf("fax: %w", faxSvc.Run(ctx)) })
	}
	l.mu.Lock()
	l.sms, l.fax, l.probed = smsSvc, faxSvc, true
	l.mu.Unlock()
	log.Info("modem line up", "sms", smsSvc != nil, "fax", faxSvc != nil, "model", info.Model)
	s.lineChanged(id)
	// The modem's state decides where queued messages go (a modem in
	// alarm gives its waiting messages to another), so changes of it are
	// passed on; the driver has no notification, hence the pacing loop.
	t := time.NewTicker(statePoll)
	defer t.Stop()
	state := m.State()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-t.C:
			if now := m.State(); now != state {
				log.Info("modem state changed", "from", state, "to", now)
				state = now
				s.lineChanged(id)
			}
		}
	}
}

// lineChanged asks the main loop to look at the queue again.
func (s *Service) lineChanged(id string) {
	select {
	case s.ready <- id:
	default: // a look is pending anyway
	}
}

// waitReady waits for the modem's first probe to finish.
func waitReady(ctx context.Context, m *modem.Modem) (modem.Info, error) {
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		if m.State() == modem.StateReady {
			return m.Status().Info, nil
		}
		select {
		case <-ctx.Done():
			return modem.Info{}, ctx.Err()
		case <-m.Done():
			return modem.Info{}, fmt.Errorf("modem: %w", modem.ErrClosed)
		case <-t.C:
		}
	}
}
