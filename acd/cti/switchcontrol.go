package cti

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/acd"
)

// RingFunc rings an extension for a party and returns its answered leg:
// b2bua.(*B2BUA).Dial has this shape.
type RingFunc func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)

// TransferFunc reaches a transfer or conference target (an extension or
// an outside number) for a call and returns the answered leg: the
// router's resolver, the same one b2bua.WithTransfer takes.
type TransferFunc func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error)

// ErrNotBridged: the call has no agent leg to act on (not connected yet,
// or already over).
var ErrNotBridged = errors.New("cti: the call is not connected to an agent")

// SwitchControl is the Control of a box: it acts on the switch's live
// calls through the bridge's own operations (acd.Call Hold, Park,
// Replace, Conference) and places click-to-dial calls by ringing the
// extension and handing its leg to the switch as if the phone had dialled.
// Blind transfers finish in the background; Close waits for them.
type SwitchControl struct {
	sw       *acd.Switch
	ring     RingFunc
	transfer TransferFunc
	log      *slog.Logger
	limit    time.Duration // longest a background transfer may ring

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewSwitchControl returns the Control of sw. ring places click-to-dial
// calls; transfer reaches transfer and conference targets.
func NewSwitchControl(sw *acd.Switch, ring RingFunc, transfer TransferFunc, log *slog.Logger) *SwitchControl {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &SwitchControl{sw: sw, ring: ring, transfer: transfer, log: log, limit: 2 * time.Minute, ctx: ctx, cancel: cancel}
}

// Close abandons the transfers still ringing and waits for them.
func (s *SwitchControl) Close() {
	s.cancel()
	s.wg.Wait()
}

func (s *SwitchControl) call(id string) (*acd.Call, error) {
	c, ok := s.sw.Call(id)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCall, id)
	}
	return c, nil
}

// agentLeg is the party the caller talks to: the latest leg other than
// the caller's.
func agentLeg(c *acd.Call) (acd.Leg, error) {
	legs := c.Legs()
	caller := c.Caller()
	for i := len(legs) - 1; i >= 0; i-- {
		l := legs[i]
		if l == caller {
			continue
		}
		select {
		case <-l.Done():
			continue
		default:
			return l, nil
		}
	}
	return nil, ErrNotBridged
}

// Originate rings ext and, once it answers, gives its leg to the switch
// with number as the dialled number: the dialplan routes it as a call the
// extension placed (outbound routes, caller ID rules). It returns when the
// extension answered.
func (s *SwitchControl) Originate(ctx context.Context, ext, number string) (string, error) {
	if s.ring == nil {
		return "", ErrNoControl
	}
	leg, err := s.ring(ctx, ext, acd.Party{Number: number}, nil)
	if err != nil {
		return "", err
	}
	c, err := s.sw.Accept(leg, number)
	if err != nil {
		_ = leg.Hangup(acd.CauseTemporaryFailure)
		return "", err
	}
	c.AddRoute("cti:click-to-dial")
	return c.ID(), nil
}

// Hangup ends every leg of the call.
func (s *SwitchControl) Hangup(ctx context.Context, callID string) error {
	c, err := s.call(callID)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range c.Legs() {
		errs = append(errs, l.Hangup(acd.CauseNormalClearing))
	}
	return errors.Join(errs...)
}

// Hold puts the caller on hold from the agent's side: the caller hears
// music instead of the agent until resumed.
func (s *SwitchControl) Hold(ctx context.Context, callID string, on bool) error {
	c, err := s.call(callID)
	if err != nil {
		return err
	}
	l, err := agentLeg(c)
	if err != nil {
		return err
	}
	return c.Hold(l, on)
}

// Transfer is a blind transfer: the agent's leg leaves at once, the
// caller hears music while target rings, and target takes the agent's
// place when it answers. If target fails the caller's call ends the way
// the agent's hang-up would have ended it.
func (s *SwitchControl) Transfer(ctx context.Context, callID, target string) error {
	if s.transfer == nil {
		return ErrNoControl
	}
	c, err := s.call(callID)
	if err != nil {
		return err
	}
	agent, err := agentLeg(c)
	if err != nil {
		return err
	}
	resume, err := c.Park(agent)
	if err != nil {
		return err
	}
	_ = agent.Hangup(acd.CauseNormalClearing)
	c.AddRoute("transfer:" + target)
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.limit)
		defer cancel()
		leg, err := s.transfer(ctx, c, target, c.Caller())
		if err == nil {
			if err = c.Replace(agent, leg); err != nil {
				_ = leg.Hangup(acd.CauseNormalClearing)
			}
		}
		if err != nil {
			s.log.Warn("cti: blind transfer failed", "call", callID, "target", target, "err", err)
			resume()
		}
	})
	return nil
}

// Conference rings target and adds it to the call once it answers; the
// caller, the agent and target all hear each other. It returns when
// target is in, or failed.
func (s *SwitchControl) Conference(ctx context.Context, callID, target string) error {
	if s.transfer == nil {
		return ErrNoControl
	}
	c, err := s.call(callID)
	if err != nil {
		return err
	}
	if _, err := agentLeg(c); err != nil {
		return err
	}
	leg, err := s.transfer(ctx, c, target, c.Caller())
	if err != nil {
		return err
	}
	if err := c.Conference(ctx, leg); err != nil {
		_ = leg.Hangup(acd.CauseNormalClearing)
		return err
	}
	c.AddRoute("conference:" + target)
	return nil
}
