package ivr

import (
	"context"
	"log/slog"
	"time"

	"callbox/firmware/store"
)

// Service is the IVR as the firmware runs it: the catalog of published
// flows, kept in step with the store while Run runs, and the runner the
// router calls.
type Service struct {
	st  *store.Store
	cat *Catalog
	log *slog.Logger
}

// NewService returns the IVR service over st.
func NewService(st *store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, cat: NewCatalog(), log: log}
}

// Name is the service name the supervisor shows.
func (s *Service) Name() string { return "ivr" }

// Run loads the published flows and follows the store's changes until ctx
// ends.
func (s *Service) Run(ctx context.Context) error { return Follow(ctx, s.st, s.cat, s.log) }

// Catalog is the published flows for new calls.
func (s *Service) Catalog() *Catalog { return s.cat }

// Runner returns the runner for the router: business hours from the
// store in the box's zone (the settings, read at each call), goto and
// subflow nodes to the catalog, lookups through http (nil: a plain
// client), the given voice and hand-offs.
func (s *Service) Runner(v *Voice, a Actions, http Doer) *Runner {
	opts := []Option{WithHours(StoreHours(s.st, nil)), WithFlows(s.cat.Get), WithLogger(s.log)}
	if http != nil {
		opts = append(opts, WithHTTP(http))
	}
	return &Runner{
		Engine:  NewEngine(opts...),
		Flows:   s.cat.Get,
		Voice:   v,
		Actions: a,
		Zone:    func() *time.Location { return SiteZone(s.st) },
		Log:     s.log,
	}
}

// Checks are the lookups for validating flows on this box: the store's
// names, the prompts v can play, and fax nodes only when a sends faxes
// and a modem line is configured to send them (FaxLine).
func (s *Service) Checks(v *Voice, a Actions) Checks {
	chk := StoreChecks(s.st, v.Prompts)
	chk.NoFax = a.SendFax == nil || !FaxLine(s.st)
	return chk
}
