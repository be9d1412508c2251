package modem

import (
	"context"
	"sync"
	"time"
)

// ServiceLoop is how a service on one modem (SMS, fax) runs: a sender
// works on a goroutine of its own (the outbox), while the modem's
// unsolicited results, and any timed work, are handled one at a time on
// the goroutine that calls Run, so the service's state needs no lock.
type ServiceLoop struct {
	// Subscribe is the modem's Subscribe.
	Subscribe func(ctx context.Context) <-chan URC
	// Send, when not nil, starts once subscribed and runs until ctx ends;
	// an error it returns before then ends Run with that error.
	Send func(ctx context.Context) error
	// Start, when not nil, runs once subscribed and before the first URC
	// is read, so that nothing announced meanwhile is missed.
	Start func(ctx context.Context)
	// URC handles one unsolicited result.
	URC func(ctx context.Context, u URC)
	// Due, when not nil, is asked before each wait for a channel that
	// fires when timed work is due (a nil channel: none); OnDue does it.
	Due   func() <-chan time.Time
	OnDue func(ctx context.Context)
}

// Run runs the loop until ctx ends (ctx.Err()), Send fails (its error) or
// the modem's Run ends (ErrClosed, when the URC channel closes). Send is
// stopped and waited for before Run returns.
func (l ServiceLoop) Run(ctx context.Context) error {
	// The cancel deferred second runs first, then the wait.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	// Subscribed before the sender starts, as well as before Start: a
	// status report (+CDS) for a message sent at once must not come before
	// anyone listens.
	urcs := l.Subscribe(ctx)
	errc := make(chan error, 1)
	if l.Send != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Send(ctx); err != nil && ctx.Err() == nil {
				errc <- err
			}
		}()
	}
	if l.Start != nil {
		l.Start(ctx)
	}
	for {
		var due <-chan time.Time
		if l.Due != nil {
			due = l.Due()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case u, ok := <-urcs:
			if !ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return ErrClosed
			}
			l.URC(ctx, u)
		case <-due:
			l.OnDue(ctx)
		}
	}
}
