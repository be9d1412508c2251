package acd

import (
	"context"
	"fmt"
)

// Retryable reports whether a call that failed with c may succeed over
// another gateway: the failure was the route's (congestion, an outage,
// a timeout), not the called party's (busy, no such number, refused).
func (c Cause) Retryable() bool {
	switch c {
	case CauseNoRoute, CauseDestinationOutOfOrder, CauseNoCircuitAvailable, CauseNetworkOutOfOrder,
		CauseTemporaryFailure, CauseSwitchingCongestion, CauseResourceUnavailable, CauseBearerNotAvailable,
		CauseServiceUnavailable, CauseRecoveryOnTimerExpiry, CauseExchangeRoutingError:
		return true
	}
	return false
}

// Dialer places a call out over one gateway ("trunk:carrier",
// "line:fxo1"). A refusal should carry its cause (see Reject); an error
// without one counts as a temporary failure of that gateway.
type Dialer func(ctx context.Context, gateway string) (Leg, error)

// DialInOrder tries the gateways in order (the dialplan's failover
// list) and returns the first leg that connects with the gateway that
// carried it. It moves on only for failures of the route (see
// Retryable); a busy or unknown number stops at once. The error of the
// last attempt is returned, carrying its cause.
func DialInOrder(ctx context.Context, gateways []string, dial Dialer) (Leg, string, error) {
	if len(gateways) == 0 {
		return nil, "", Reject(CauseNoRoute)
	}
	var last error
	for _, gw := range gateways {
		leg, err := dial(ctx, gw)
		if err == nil {
			return leg, gw, nil
		}
		if ctx.Err() != nil {
			return nil, "", context.Cause(ctx)
		}
		cause, ok := CauseOf(err)
		if !ok {
			cause = CauseTemporaryFailure
			err = &CauseError{Cause: cause, Err: err}
		}
		last = fmt.Errorf("%s: %w", gw, err)
		if !cause.Retryable() {
			return nil, "", last
		}
	}
	return nil, "", last
}
