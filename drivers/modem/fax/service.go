package fax

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/outbox"
	"callbox/firmware/store"
	"callbox/media/t4"
)

// InitCommands are the modem settings a fax line needs at start and after
// every reset (pass them to modem.WithInit): fax class 2.0, and caller ID
// so that a fax can be filed under the caller's number.
var InitCommands = []string{"AT+FCLASS=2.0", "AT+FCR=1", "AT+CLIP=1"}

// InboxDir is where received faxes go, relative to the data directory.
const InboxDir = "fax/in"

// Handler receives each inbound fax once it is stored.
type Handler func(ctx context.Context, m store.Message, r Received)

// Service sends and receives faxes on one fax modem.
type Service struct {
	m       ATModem
	st      *store.Store
	line    string
	localID string
	dataDir string
	clock   outbox.Clock
	log     *slog.Logger
	handler Handler
	res     t4.Resolution
	out     *outbox.Outbox
	busy    sync.Mutex // one call at a time on the modem
}

// Option configures a Service.
type Option func(*Service, *[]outbox.Option)

// WithHandler sets the handler of inbound faxes.
func WithHandler(h Handler) Option { return func(s *Service, _ *[]outbox.Option) { s.handler = h } }

// WithClock sets the clock of retries.
func WithClock(c outbox.Clock) Option {
	return func(s *Service, o *[]outbox.Option) { s.clock = c; *o = append(*o, outbox.WithClock(c)) }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service, o *[]outbox.Option) { s.log = l; *o = append(*o, outbox.WithLogger(l)) }
}

// WithRetryDelays sets the waits between send attempts.
func WithRetryDelays(d ...time.Duration) Option {
	return func(_ *Service, o *[]outbox.Option) { *o = append(*o, outbox.WithRetryDelays(d...)) }
}

// WithFine sends images and PDFs at fine resolution (196 lpi).
func WithFine() Option { return func(s *Service, _ *[]outbox.Option) { s.res = t4.Fine } }

// NewService returns the fax service of the modem named line. dataDir is
// the appliance's data directory: documents to send are read from it and
// received faxes written under InboxDir in it. localID is the station ID
// sent to the far end (at most 20 characters, usually the fax number).
func NewService(m ATModem, st *store.Store, line, dataDir, localID string, opts ...Option) *Service {
	s := &Service{m: m, st: st, line: line, localID: localID, dataDir: dataDir, clock: outbox.RealClock, log: slog.Default()}
	var oo []outbox.Option
	for _, o := range opts {
		o(s, &oo)
	}
	s.log = s.log.With("fax", line)
	s.out = outbox.New(st, store.ChannelFax, line, s.send, oo...)
	return s
}

// Send checks the document (a path relative to the data directory: TIFF,
// PNG, PBM or PDF) and queues it for number. A document that cannot be
// faxed is refused here, with ErrEmptyDocument, ErrUnknownFormat,
// ErrBadPDF or a t4 error, and nothing is queued.
func (s *Service) Send(ctx context.Context, number, path string) (store.Message, error) {
	pages, err := s.load(ctx, path)
	if err != nil {
		return store.Message{}, err
	}
	return s.out.Enqueue(store.Message{Number: number, Path: path, Pages: len(pages)})
}

func (s *Service) load(ctx context.Context, path string) ([]*t4.Page, error) {
	if !filepath.IsLocal(path) {
		return nil, fmt.Errorf("fax: document path %q is outside the data directory", path)
	}
	data, err := os.ReadFile(filepath.Join(s.dataDir, path))
	if err != nil {
		return nil, fmt.Errorf("fax: reading the document: %w", err)
	}
	return LoadDocument(ctx, data, s.res)
}

// send is the outbox's SendFunc.
func (s *Service) send(ctx context.Context, m store.Message) (store.MessageState, error) {
	pages, err := s.load(ctx, m.Path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", outbox.ErrPermanent, err)
	}
	s.busy.Lock()
	defer s.busy.Unlock()
	res, err := Send(ctx, s.m, m.Number, s.localID, pages)
	if err != nil {
		return "", err
	}
	s.log.Info("fax sent", "id", m.ID, "to", m.Number, "pages", res.Pages, "remote", res.RemoteID)
	// The receiver confirmed every page (MCF): the fax is delivered.
	return store.StateDelivered, nil
}

// Kick wakes the sender: a fax was queued for this line by another writer
// of the store (the web API, fax-on-demand).
func (s *Service) Kick() { s.out.Kick() }

// Run sends queued faxes and answers incoming fax calls until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	rings, caller := 0, ""
	return modem.ServiceLoop{Subscribe: s.m.Subscribe, Send: s.out.Run, URC: func(ctx context.Context, u modem.URC) {
		switch u.Name {
		case "RING":
			rings++
		case "+CLIP":
			if f := modem.Fields(u.Value); len(f) > 0 {
				caller = f[0]
			}
		case "NO CARRIER":
			rings, caller = 0, ""
			return
		default:
			return
		}
		// Answer once the caller's number is known, or on the second
		// ring of a line without caller ID.
		if caller != "" || rings >= 2 {
			s.receive(ctx, caller)
			rings, caller = 0, ""
		}
	}}.Run(ctx)
}

// receive takes one call and stores what came.
func (s *Service) receive(ctx context.Context, caller string) {
	if !s.busy.TryLock() {
		s.log.Info("fax call while the modem is busy; not answered", "caller", caller)
		return
	}
	defer s.busy.Unlock()
	now := s.clock.Now()
	id := outbox.NewID("fax-in", now)
	rec, err := Receive(ctx, s.m, s.localID, filepath.Join(s.dataDir, InboxDir), id)
	if err != nil && len(rec.Pages) == 0 {
		s.log.Warn("fax reception failed", "caller", caller, "err", err)
		return
	}
	if err != nil {
		s.log.Warn("fax reception ended early; keeping the pages that came", "pages", len(rec.Pages), "err", err)
	}
	number := caller
	if !store.IsDialable(number) {
		number = dialable(rec.RemoteID)
	}
	m := store.Message{
		ID: id, Channel: store.ChannelFax, Direction: store.DirectionIn, Number: number, Line: s.line,
		Path: filepath.ToSlash(filepath.Join(InboxDir, id+".tif")), Pages: len(rec.Pages), State: store.StateReceived,
		CreatedAt: now, UpdatedAt: now, Partial: rec.Partial,
	}
	// The far end's station ID (+FTI) goes in the note: the record has no
	// field of its own for it.
	m.Text = rec.RemoteID
	if _, err := store.Create(s.st, m); err != nil {
		var verr *store.ValidationError
		if errors.As(err, &verr) {
			s.log.Error("received fax kept as a file but not recorded", "path", rec.Path, "err", err)
		} else {
			s.log.Error("recording received fax", "path", rec.Path, "err", err)
		}
	} else {
		s.log.Info("fax received", "id", id, "from", number, "pages", len(rec.Pages), "remote", rec.RemoteID)
	}
	if s.handler != nil {
		s.handler(ctx, m, rec)
	}
}

// dialable makes a number of a station ID like "+86 21 5555 0001".
func dialable(id string) string {
	var b strings.Builder
	for i, c := range id {
		if (c >= '0' && c <= '9') || (c == '+' && i == 0) {
			b.WriteRune(c)
		}
	}
	return b.String()
}
