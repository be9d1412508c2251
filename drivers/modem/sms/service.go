package sms

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/outbox"
	"callbox/firmware/store"
)

// ATModem is the part of the modem driver the service uses.
type ATModem interface {
	Command(ctx context.Context, cmd string) (modem.Response, error)
	CommandPrompt(ctx context.Context, cmd, body string) (modem.Response, error)
	Subscribe(ctx context.Context) <-chan modem.URC
}

// InitCommands are the modem settings the service needs; pass them to
// modem.WithInit so that they are restored after every modem reset: PDU
// mode, new messages stored on the SIM and announced with +CMTI, status
// reports shown at once with +CDS.
var InitCommands = []string{"AT+CMGF=0", `AT+CPMS="SM","SM","SM"`, "AT+CNMI=2,1,0,1,0"}

// Handler receives each inbound message once it is stored. It runs on the
// service's goroutine and must not block for long.
type Handler func(ctx context.Context, m store.Message, in Inbound)

// Service sends and receives SMS through one modem.
type Service struct {
	m       ATModem
	st      *store.Store
	line    string
	clock   outbox.Clock
	log     *slog.Logger
	handler Handler
	out     *outbox.Outbox
	reasm   *Reassembler
	ref16   bool

	mu      sync.Mutex
	reports map[byte]*tracking   // status reports awaited, by message reference
	early   map[byte]earlyReport // reports that came before their +CMGS was seen
	byID    map[string]*tracking
}

// tracking follows the status reports of one sent message's parts.
type tracking struct {
	id       string
	waiting  int
	failed   byte
	stored   bool // the outbox has recorded the message as sent
	finished bool
	at       time.Time
}

// trackFor bounds how long delivery reports are waited for.
const trackFor = 72 * time.Hour

func (t *tracking) apply(rep StatusReport) {
	t.waiting--
	if rep.Failed() {
		t.failed = rep.Status
	}
}

type earlyReport struct {
	rep StatusReport
	at  time.Time
}

// earlyReportAge bounds how long a report for an unknown reference is kept
// (references wrap at 256, so an old one must not match a new message).
const earlyReportAge = time.Minute

// ServiceOption configures a Service.
type ServiceOption func(*Service, *[]outbox.Option)

// WithHandler sets the handler of inbound messages.
func WithHandler(h Handler) ServiceOption {
	return func(s *Service, _ *[]outbox.Option) { s.handler = h }
}

// WithClock sets the clock of retries and of the wait for missing parts.
func WithClock(c outbox.Clock) ServiceOption {
	return func(s *Service, o *[]outbox.Option) { s.clock = c; *o = append(*o, outbox.WithClock(c)) }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) ServiceOption {
	return func(s *Service, o *[]outbox.Option) { s.log = l; *o = append(*o, outbox.WithLogger(l)) }
}

// WithRetryDelays sets the waits between send attempts.
func WithRetryDelays(d ...time.Duration) ServiceOption {
	return func(_ *Service, o *[]outbox.Option) { *o = append(*o, outbox.WithRetryDelays(d...)) }
}

// WithPartTimeout sets how long parts of a long message are waited for
// before it is stored as partial (default 24 hours, as networks may hold
// parts that long).
func WithPartTimeout(d time.Duration) ServiceOption {
	return func(s *Service, _ *[]outbox.Option) { s.reasm.timeout = d }
}

// With16BitRefs makes long messages carry 16-bit concatenation references.
func With16BitRefs() ServiceOption { return func(s *Service, _ *[]outbox.Option) { s.ref16 = true } }

// NewService returns the SMS service of the modem named line.
func NewService(m ATModem, st *store.Store, line string, opts ...ServiceOption) *Service {
	s := &Service{m: m, st: st, line: line, clock: outbox.RealClock, log: slog.Default(),
		reports: map[byte]*tracking{}, early: map[byte]earlyReport{}, byID: map[string]*tracking{}}
	s.reasm = NewReassembler(func() time.Time { return s.clock.Now() }, 24*time.Hour)
	var oo []outbox.Option
	for _, o := range opts {
		o(s, &oo)
	}
	s.log = s.log.With("sms", line)
	s.out = outbox.New(st, store.ChannelSMS, line, s.send, append(oo, outbox.WithOnDone(s.onSent))...)
	return s
}

// Send queues a text for to; it goes out from Run, with retries. The
// returned record's ID follows it through the store.
func (s *Service) Send(to, text string) (store.Message, error) {
	return s.out.Enqueue(store.Message{Number: to, Text: text})
}

// Kick wakes the sender: a message was queued for this line by another
// writer of the store (the web API, a reassignment after a line went away).
func (s *Service) Kick() { s.out.Kick() }

// Run sends queued messages and receives new ones until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	return modem.ServiceLoop{Subscribe: s.m.Subscribe, Send: s.out.Run, Start: s.readStorage, URC: s.onURC,
		Due: s.partsDue, OnDue: s.expireParts}.Run(ctx)
}

// partsDue fires when the wait for a long message's missing parts ends.
func (s *Service) partsDue() <-chan time.Time {
	if t, ok := s.reasm.NextExpiry(); ok {
		return s.clock.After(max(t.Sub(s.clock.Now()), 0))
	}
	return nil
}

// expireParts stores the long messages whose missing parts did not come.
func (s *Service) expireParts(ctx context.Context) {
	for _, in := range s.reasm.Expire() {
		s.deliver(ctx, in)
	}
}

func (s *Service) onURC(ctx context.Context, u modem.URC) {
	switch u.Name {
	case "+CMTI", "+CDSI": // a message, or a status report, stored at an index
		f := modem.Fields(u.Value)
		if len(f) < 2 {
			s.log.Warn("bad +CMTI", "value", u.Value)
			return
		}
		i, err := strconv.Atoi(f[1])
		if err != nil {
			s.log.Warn("bad +CMTI", "value", u.Value)
			return
		}
		s.readSlot(ctx, i)
	case "+CDS":
		n, _ := strconv.Atoi(strings.TrimSpace(u.Value))
		s.onPDU(ctx, u.PDU, n, -1)
	case "+CMT":
		f := modem.Fields(u.Value)
		n, _ := strconv.Atoi(f[len(f)-1])
		s.onPDU(ctx, u.PDU, n, -1)
	case modem.URCReinit:
		// The modem was reset: messages may have arrived unannounced.
		s.readStorage(ctx)
		s.out.Kick()
	}
}

// readStorage reads every stored message (at start, after a reset, and
// when the SIM is full) so that nothing waits unseen and slots free up.
// At start it is the loop's Start, run once the service listens: a message
// stored before then was announced to nobody and only this listing finds
// it; one stored meanwhile is also announced and read twice, harmlessly (a
// deleted slot answers +CMS ERROR 321, a part keeps its slot once).
func (s *Service) readStorage(ctx context.Context) {
	if s.listStorage(ctx) {
		s.checkFull(ctx, true)
	}
}

// listStorage reads and handles every stored message (AT+CMGL=4); it
// reports whether the modem answered the listing.
func (s *Service) listStorage(ctx context.Context) bool {
	r, err := s.m.Command(ctx, "AT+CMGL=4")
	if err != nil {
		s.log.Warn("listing stored messages", "err", err)
		return false
	}
	for i := 0; i+1 < len(r.Lines); i++ {
		v, ok := strings.CutPrefix(r.Lines[i], "+CMGL:")
		if !ok {
			continue
		}
		f := modem.Fields(v)
		idx, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(f[len(f)-1])
		i++
		s.onPDU(ctx, r.Lines[i], n, idx)
	}
	return true
}

func (s *Service) readSlot(ctx context.Context, idx int) {
	r, err := s.m.Command(ctx, fmt.Sprintf("AT+CMGR=%d", idx))
	var ce *modem.CommandError
	if errors.As(err, &ce) && ce.Class == modem.CMSError && ce.Code == 321 {
		// Already read and deleted by a listing after a reset.
		s.log.Debug("announced message is gone", "index", idx)
		return
	}
	if err != nil {
		s.log.Warn("reading stored message", "index", idx, "err", err)
		return
	}
	v, ok := r.Value("+CMGR")
	if !ok || len(r.Lines) < 2 {
		s.log.Warn("empty +CMGR answer", "index", idx)
		return
	}
	f := modem.Fields(v)
	n, _ := strconv.Atoi(f[len(f)-1])
	s.onPDU(ctx, r.Lines[len(r.Lines)-1], n, idx)
	s.checkFull(ctx, false)
}

// onPDU handles one PDU from the modem, stored at idx (-1: not stored).
// A PDU that does not decode is logged and deleted, so that a bad message
// cannot fill the SIM.
func (s *Service) onPDU(ctx context.Context, pdu string, n, idx int) {
	t, err := TypeOf(pdu)
	if err == nil {
		switch t {
		case TypeDeliver:
			var d Deliver
			if d, err = DecodeDeliver(pdu, n); err == nil {
				if in, done := s.reasm.Add(Part{Deliver: d, Index: idx}); done {
					s.deliver(ctx, in)
				}
				return
			}
		case TypeStatusReport:
			var rep StatusReport
			if rep, err = DecodeStatusReport(pdu, n); err == nil {
				s.onReport(rep)
				s.deleteSlots(ctx, []int{idx})
				return
			}
		default:
			err = fmt.Errorf("%w: %d", ErrType, t)
		}
	}
	s.log.Error("undecodable message dropped", "index", idx, "err", err, "pdu", pdu)
	s.deleteSlots(ctx, []int{idx})
}

// deliver stores a whole (or given-up partial) inbound message, frees its
// slots and hands it on. The record is written before the slots are
// deleted, so a crash in between repeats the message rather than losing it.
func (s *Service) deliver(ctx context.Context, in Inbound) {
	now := s.clock.Now()
	m := store.Message{
		ID: outbox.NewID("sms-in", now), Channel: store.ChannelSMS, Direction: store.DirectionIn,
		Number: in.From, Line: s.line, Text: truncateRunes(in.Text, store.MaxSMSText), State: store.StateReceived,
		CreatedAt: in.Time, UpdatedAt: now, Partial: in.Partial,
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if _, err := store.Create(s.st, m); err != nil {
		var verr *store.ValidationError
		if !errors.As(err, &verr) {
			// The store is failing: keep the message on the SIM, it is
			// read again after the next reset or restart.
			s.log.Error("inbound SMS not stored; left on the SIM", "from", in.From, "err", err)
			return
		}
		// The record can never be valid (an alphanumeric sender such as
		// "BANK" is not a dialable number): hand it on and free the SIM
		// rather than let such messages fill it.
		s.log.Error("inbound SMS cannot be recorded; passed on and removed from the SIM", "from", in.From, "err", err)
		s.deleteSlots(ctx, in.Indexes)
		if s.handler != nil {
			s.handler(ctx, m, in)
		}
		return
	}
	s.deleteSlots(ctx, in.Indexes)
	s.log.Info("SMS received", "id", m.ID, "from", in.From, "parts", in.Parts, "partial", in.Partial)
	if s.handler != nil {
		s.handler(ctx, m, in)
	}
}

func (s *Service) deleteSlots(ctx context.Context, idx []int) {
	for _, i := range idx {
		if i < 0 {
			continue
		}
		if _, err := s.m.Command(ctx, fmt.Sprintf("AT+CMGD=%d", i)); err != nil {
			s.log.Warn("deleting stored message", "index", i, "err", err)
		}
	}
}

// checkFull gives up on the oldest incomplete message when the SIM is full
// of parts, so that new messages (and the missing parts) can come in. A
// full SIM is listed first, unless listed just now: a missing part may be
// on it unread (its +CMTI still queued, or raised while the modem was being
// reset), and joining it frees slots without giving anything up.
func (s *Service) checkFull(ctx context.Context, listed bool) {
	if s.reasm.Pending() == 0 || !s.simFull(ctx) {
		return
	}
	if !listed {
		if !s.listStorage(ctx) || s.reasm.Pending() == 0 || !s.simFull(ctx) {
			return
		}
	}
	if in, ok := s.reasm.ExpireOldest(); ok {
		s.log.Warn("SIM full of message parts; storing the oldest incomplete message as partial", "from", in.From)
		s.deliver(ctx, in)
	}
}

// simFull asks the modem whether every message slot is in use.
func (s *Service) simFull(ctx context.Context) bool {
	r, err := s.m.Command(ctx, "AT+CPMS?")
	if err != nil {
		return false
	}
	v, _ := r.Value("+CPMS")
	f := modem.Fields(v)
	if len(f) < 3 {
		return false
	}
	used, err1 := strconv.Atoi(f[1])
	total, err2 := strconv.Atoi(f[2])
	return err1 == nil && err2 == nil && used >= total
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// concatRef derives a message's concatenation reference from its ID, so a
// retried message reuses it and the receiver drops repeated parts.
func concatRef(id string) uint16 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return uint16(h.Sum32())
}

// send is the outbox's SendFunc: every part through AT+CMGS.
func (s *Service) send(ctx context.Context, m store.Message) (store.MessageState, error) {
	parts, err := Split(m.Number, m.Text, concatRef(m.ID), s.ref16, true)
	if err != nil {
		return "", fmt.Errorf("%w: %v", outbox.ErrPermanent, err)
	}
	var mrs []byte
	for _, p := range parts {
		pdu, n, err := p.Encode()
		if err != nil {
			return "", fmt.Errorf("%w: %v", outbox.ErrPermanent, err)
		}
		r, err := s.m.CommandPrompt(ctx, fmt.Sprintf("AT+CMGS=%d", n), pdu)
		if err != nil {
			return "", classify(err)
		}
		v, _ := r.Value("+CMGS")
		mr, err := strconv.Atoi(strings.TrimSpace(modem.Fields(v)[0]))
		if err == nil && mr >= 0 && mr < 256 {
			mrs = append(mrs, byte(mr))
		}
	}
	s.track(m.ID, mrs)
	return store.StateSent, nil
}

// permanentCMS are +CMS ERROR codes that retrying will not fix.
var permanentCMS = map[int]bool{1: true, 21: true, 50: true, 69: true, 96: true, 302: true, 303: true, 304: true, 305: true}

func classify(err error) error {
	var ce *modem.CommandError
	if errors.As(err, &ce) && ce.Class == modem.CMSError && permanentCMS[ce.Code] {
		return fmt.Errorf("%w: %w", outbox.ErrPermanent, err)
	}
	return err
}

// track notes the references of a message's parts, whose status reports
// will say whether it was delivered.
func (s *Service) track(id string, mrs []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for k, t := range s.byID {
		if now.Sub(t.at) > trackFor {
			delete(s.byID, k)
		}
	}
	tr := &tracking{id: id, waiting: len(mrs), at: now}
	s.byID[id] = tr
	for _, mr := range mrs {
		if e, ok := s.early[mr]; ok && now.Sub(e.at) < earlyReportAge && !e.rep.Pending() {
			delete(s.early, mr)
			tr.apply(e.rep)
			continue
		}
		s.reports[mr] = tr
	}
}

// onReport applies a status report to the message it is about.
func (s *Service) onReport(rep StatusReport) {
	s.mu.Lock()
	tr := s.reports[rep.MR]
	if tr == nil {
		s.early[rep.MR] = earlyReport{rep, s.clock.Now()}
		s.mu.Unlock()
		return
	}
	if rep.Pending() {
		s.mu.Unlock()
		return
	}
	delete(s.reports, rep.MR)
	tr.apply(rep)
	s.mu.Unlock()
	s.finish(tr)
}

// onSent runs when the outbox has stored a message's final send state.
func (s *Service) onSent(m store.Message) {
	if m.State != store.StateSent {
		return
	}
	s.mu.Lock()
	tr := s.byID[m.ID]
	if tr == nil {
		s.mu.Unlock()
		return
	}
	tr.stored = true
	s.mu.Unlock()
	s.finish(tr)
}

// finish records delivery (or its failure) once the message is stored as
// sent and every part is accounted for.
func (s *Service) finish(tr *tracking) {
	s.mu.Lock()
	if !tr.stored || tr.finished || (tr.waiting > 0 && tr.failed == 0) {
		s.mu.Unlock()
		return
	}
	tr.finished = true
	delete(s.byID, tr.id)
	id, failed := tr.id, tr.failed
	s.mu.Unlock()
	m, err := store.Get[store.Message](s.st, id)
	if err != nil || m.State != store.StateSent {
		return
	}
	m.UpdatedAt = s.clock.Now()
	if failed != 0 {
		m.State, m.LastError = store.StateFailed, fmt.Sprintf("not delivered: network status 0x%02x", failed)
	} else {
		m.State = store.StateDelivered
	}
	if _, err := store.Put(s.st, m); err != nil {
		s.log.Error("recording delivery", "id", id, "err", err)
	}
}
