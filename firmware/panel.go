package firmware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"callbox/drivers/gpio"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// resetHold is how long the reset button must be held to give the admin a
// new one-time password: long enough that a knock does not do it.
const resetHold = 5 * time.Second

// panel watches the front-panel buttons. Holding reset for resetHold does
// what the console's reset-admin-password does, for a technician with the
// box in hand but no serial cable: the new one-time password is printed on
// the console.
type panel struct {
	board *gpio.Board
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
	out   io.Writer
	lang  i18n.Lang
}

func (p *panel) Name() string { return "panel" }

func (p *panel) Run(ctx context.Context) error {
	var pressedAt time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-p.board.Events():
			p.log.InfoContext(ctx, "button", "name", e.Name, "pressed", e.Pressed)
			if e.Name != "reset" {
				continue
			}
			if e.Pressed {
				pressedAt = e.At
				continue
			}
			held := e.At.Sub(pressedAt)
			if pressedAt.IsZero() || held < resetHold {
				continue
			}
			pressedAt = time.Time{}
			if err := p.resetAdmin(ctx); err != nil {
				return err
			}
		}
	}
}

func (p *panel) resetAdmin(ctx context.Context) error {
	user, pw, err := ResetAdminPassword(p.store, p.now)
	if err != nil {
		return fmt.Errorf("reset button: %w", err)
	}
	p.log.WarnContext(ctx, "reset button held: administrator has a new one-time password, printed on the console", "user", user)
	_, err = fmt.Fprintln(p.out, i18n.T(p.lang, "firmware.admin.created", user, pw))
	return err
}
