package b2bua

import (
	"context"

	"callbox/acd"
)

// Conference rings extension ext and, once it answers, adds it to c's
// live bridge: with the two parties already talking it makes a three-way
// conference mixed by the switch (acd.Call.Conference). The router's
// feature code and the CTI API start it; an outside party is added the
// same way by dialling it and calling c.Conference. The new leg then
// belongs to c and ends with it.
func (b *B2BUA) Conference(ctx context.Context, c *acd.Call, ext string) error {
	leg, err := b.Dial(ctx, ext, c.Caller().Caller(), nil)
	if err != nil {
		return err
	}
	if err := c.Conference(ctx, leg); err != nil {
		_ = leg.Hangup(acd.CauseNormalClearing)
		return err
	}
	c.AddRoute("conference:" + ext)
	return nil
}
