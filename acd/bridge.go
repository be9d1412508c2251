package acd

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"

	"callbox/media"
)

// Errors of the in-call features (Replace, Release, Hold, Park,
// Conference).
var (
	// ErrNotBridged: the call has no live bridge, or the leg is not one
	// of its ends.
	ErrNotBridged = errors.New("acd: leg is not in the call's bridge")
	// ErrReleased: Bridge returns it when the caller's leg was moved to
	// another call (Release); the caller is not hung up.
	ErrReleased = errors.New("acd: caller moved to another call")
)

// end is one party of a bridge.
type end struct {
	leg    Leg
	caller bool // in the call's caller slot
	held   bool // this party put the others on hold
	parked bool // leaving: its hang-up does not end the bridge (Park)
	gone   bool // hung up while parked
	aud    Audience
	taps   []*tap
}

// Audience is who hears a party of a bridge: everyone (the zero value,
// Everyone) or only the named legs (Only). Supervision uses it: a
// listening supervisor is heard by nobody, a whispering one by the agent
// alone.
type Audience struct {
	only    []Leg
	limited bool
}

// Everyone is the audience of an ordinary party: every other party hears
// it.
var Everyone = Audience{}

// Only is the audience of the listed legs alone; Only() is nobody. A
// listed leg that is not (or no longer) a party of the bridge hears
// nothing of it: the audience does not follow a transfer.
func Only(legs ...Leg) Audience {
	return Audience{only: slices.Clone(legs), limited: true}
}

// heardBy reports whether l hears a party with this audience.
func (a Audience) heardBy(l Leg) bool {
	return !a.limited || slices.Contains(a.only, l)
}

// bridge is the live connection of a call's parties: two ends relayed
// packet by packet, or three and more mixed. One loop (Bridge) owns it;
// features change it through ops the loop runs.
type bridge struct {
	c    *Call
	ends []*end
	ops  chan bridgeOp
	quit chan struct{}  // closed when the loop has returned
	bg   sync.WaitGroup // hang-ups of replaced parties

	stops []func() // the media plumbing of the current wiring
	// running: the loop has started and closed the call's live channel;
	// guarded by c.mu.
	running bool
}

// bridgeOp is a change the loop applies: fn's error goes back to the
// caller, unless exit is set (the change ended the bridge), when Bridge
// returns it instead.
type bridgeOp struct {
	fn   func(b *bridge) (exit bool, err error)
	done chan error
}

// Bridge connects the caller to other (an answered leg, typically one the
// handler dialled) and blocks until either side hangs up or ctx ends.
// The caller is answered first if it has not been. Audio flows both ways
// through the legs' media endpoints (the relay fast path when both are
// RTP). Bridge returns nil when other hung up, so the handler may go on
// with the caller; it returns ErrHungUp when the caller hung up (other is
// then hung up with the caller's cause), or the context's cause.
//
// While it runs, the call's features change the bridge: Replace (blind
// and attended transfer), Release, Hold (music on hold), Park,
// Conference (three and more parties mixed), Join and SetAudience (a
// party heard by some parties only: supervision) and Tap (a party's
// decoded audio for a recorder). Bridge then returns nil when the last
// party but the caller hung up.
func (c *Call) Bridge(ctx context.Context, other Leg) error {
	c.addLeg(other)
	c.update(func(r *CallRecord) { r.Callee = other.Caller() })
	b := &bridge{c: c, ops: make(chan bridgeOp), quit: make(chan struct{})}
	c.mu.Lock()
	if c.br != nil {
		c.mu.Unlock()
		_ = other.Hangup(CauseTemporaryFailure)
		return errors.New("acd: call is bridged already")
	}
	c.br = b
	caller := c.caller
	c.mu.Unlock()
	// The bridge is in place before the answer goes out, so a phone's
	// first in-call request (hold, REFER) finds it.
	b.add(&end{leg: caller, caller: true})
	b.add(&end{leg: other})
	b.publish()
	defer func() {
		c.mu.Lock()
		c.br, c.brIDs, c.brLegs = nil, nil, nil
		if c.live != nil && b.running {
			c.live = nil
		}
		if c.parkedCaller {
			c.parkedCaller = false
			c.signal()
		}
		c.mu.Unlock()
		close(b.quit)
		b.unwire()
		b.bg.Wait()
	}()
	if err := c.Answer(ctx); err != nil {
		_ = other.Hangup(CauseTemporaryFailure)
		return err
	}
	b.wire(ctx)
	c.mu.Lock()
	b.running = true
	if c.live == nil {
		c.live = make(chan struct{})
	}
	close(c.live)
	c.mu.Unlock()
	// The parties' hang-ups are cases of the loop's own select, not a
	// goroutine watching each party: a bridged call costs no watcher.
	// The watched parties are listed again after every change; a parked
	// party that hung up (gone) is watched no more.
	var watched []*end
	for {
		watched = watched[:0]
		for _, e := range b.ends {
			if !e.gone {
				watched = append(watched, e)
			}
		}
		switch i, op := b.next(ctx, watched); i {
		case 0:
			// An op that ends the bridge succeeded; its error is what
			// Bridge returns.
			exit, err := op.fn(b)
			if exit {
				op.done <- nil
				return err
			}
			b.publish()
			op.done <- err
			b.wire(ctx)
		case 1:
			b.hangupOthers()
			return context.Cause(ctx)
		default: // a party hung up
			if exit, err := b.lost(watched[i-2]); exit {
				return err
			}
			b.publish()
			b.wire(ctx)
		}
	}
}

// next waits for the loop's next event: 0 and the op for an op, 1 for
// the end of ctx, 2+k for watched[k] hanging up. Two parties, nearly
// every bridge, are a plain select; more (a conference) a reflect.Select
// made for them. The call's goroutine waits here for the whole call, so
// its stack stays small enough for the runtime to halve it.
func (b *bridge) next(ctx context.Context, watched []*end) (int, bridgeOp) {
	if len(watched) == 2 {
		select {
		case op := <-b.ops:
			return 0, op
		case <-ctx.Done():
			return 1, bridgeOp{}
		case <-watched[0].leg.Done():
			return 2, bridgeOp{}
		case <-watched[1].leg.Done():
			return 3, bridgeOp{}
		}
	}
	return b.nextOfMany(ctx, watched)
}

// nextOfMany is next for other than two parties, in a frame of its own.
//
//go:noinline
func (b *bridge) nextOfMany(ctx context.Context, watched []*end) (int, bridgeOp) {
	cases := make([]reflect.SelectCase, 2, 2+len(watched))
	cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(b.ops)}
	cases[1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
	for _, e := range watched {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(e.leg.Done())})
	}
	i, v, _ := reflect.Select(cases)
	if i == 0 {
		return 0, v.Interface().(bridgeOp)
	}
	return i, bridgeOp{}
}

// hangupOthers hangs up every party but the caller, at once, not one
// after another: a shutdown is bounded, and each leg's hang-up may wait
// on its far end.
func (b *bridge) hangupOthers() {
	var hangups sync.WaitGroup
	for _, e := range b.ends {
		if !e.caller {
			hangups.Go(func() { _ = e.leg.Hangup(CauseNormalClearing) })
		}
	}
	hangups.Wait()
}

// add makes e an end; the loop watches for its hang-up.
func (b *bridge) add(e *end) {
	b.ends = append(b.ends, e)
}

// drop removes e from the ends; the loop no longer watches it.
func (b *bridge) drop(e *end) {
	b.ends = slices.DeleteFunc(b.ends, func(x *end) bool { return x == e })
}

func (b *bridge) find(l Leg) *end {
	for _, e := range b.ends {
		if e.leg == l {
			return e
		}
	}
	return nil
}

// others counts the ends outside the caller's slot.
func (b *bridge) others() int {
	n := 0
	for _, e := range b.ends {
		if !e.caller {
			n++
		}
	}
	return n
}

// lost handles an end's hang-up: a parked one is kept until the
// transfer ends; the caller's ends the bridge; another party leaves, and
// the bridge ends with the last of them.
func (b *bridge) lost(e *end) (exit bool, err error) {
	if e.parked {
		e.gone = true
		return false, nil
	}
	cause := endCause(e.leg)
	if e.caller {
		b.c.noteEnd(SideCaller, cause)
		for _, x := range b.ends {
			if x != e {
				_ = x.leg.Hangup(cause)
			}
		}
		return true, ErrHungUp
	}
	b.drop(e)
	if b.others() == 0 {
		b.c.noteEnd(SideCallee, cause)
		return true, nil
	}
	return false, nil
}

// publish shows the bridge's parties to readers outside the loop
// (CallOf, the switch's watch of the caller's slot).
func (b *bridge) publish() {
	c := b.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.brIDs = c.brIDs[:0]
	c.brLegs = c.brLegs[:0]
	parked := false
	for _, e := range b.ends {
		c.brIDs = append(c.brIDs, e.leg.ID())
		c.brLegs = append(c.brLegs, e.leg)
		if e.caller && e.parked {
			parked = true
		}
	}
	if parked != c.parkedCaller {
		c.parkedCaller = parked
		c.signal()
	}
}

// run sends an op to the call's live bridge and waits for it.
func (c *Call) run(fn func(b *bridge) (bool, error)) error {
	c.mu.Lock()
	b := c.br
	c.mu.Unlock()
	if b == nil {
		return ErrNotBridged
	}
	op := bridgeOp{fn: fn, done: make(chan error, 1)}
	select {
	case b.ops <- op:
		return <-op.done
	case <-b.quit:
		return ErrNotBridged
	}
}

// Replace puts leg new (answered) in the place of old, an end of the
// live bridge: the other parties are now connected to new, and old is
// hung up with normal clearing (if it has not ended). This completes a
// transfer; when old is in the caller's slot, new takes that slot.
func (c *Call) Replace(old, new Leg) error {
	return c.run(func(b *bridge) (bool, error) {
		e := b.find(old)
		if e == nil || b.find(new) != nil {
			return false, ErrNotBridged
		}
		b.drop(e)
		ne := &end{leg: new, caller: e.caller}
		c.addLeg(new)
		c.mu.Lock()
		delete(c.released, new)
		if e.caller {
			c.caller = new
			c.signal()
		} else {
			c.rec.Callee = new.Caller()
		}
		c.mu.Unlock()
		b.add(ne)
		b.bg.Go(func() { _ = old.Hangup(CauseNormalClearing) })
		c.sw.publish(CallTransferred{Call: c.Record(), From: old.Caller(), To: new.Caller()})
		return false, nil
	})
}

// Release takes l out of the bridge and the call without hanging it up,
// so it can join another call (attended transfer). Releasing the
// caller's leg ends the bridge with ErrReleased; releasing the last
// other party ends it with nil.
func (c *Call) Release(l Leg) error {
	return c.run(func(b *bridge) (bool, error) {
		e := b.find(l)
		if e == nil {
			return false, ErrNotBridged
		}
		b.drop(e)
		c.mu.Lock()
		if c.released == nil {
			c.released = map[Leg]bool{}
		}
		c.released[l] = true
		if e.caller {
			c.signal()
		}
		c.mu.Unlock()
		switch {
		case e.caller:
			c.noteEnd(SideSystem, CauseNormalClearing)
			return true, ErrReleased
		case b.others() == 0:
			c.noteEnd(SideCallee, CauseNormalClearing)
			return true, nil
		}
		return false, nil
	})
}

// Hold tells the bridge that l put the others on hold (on) or took them
// off: while held they hear the switch's music instead of l.
func (c *Call) Hold(l Leg, on bool) error {
	return c.changeEnd(l, func(e *end) { e.held = on })
}

// changeEnd runs change on l's end of the live bridge, on the bridge's
// goroutine; ErrNotBridged when l is not a party of it.
func (c *Call) changeEnd(l Leg, change func(e *end)) error {
	return c.run(func(b *bridge) (bool, error) {
		e := b.find(l)
		if e == nil {
			return false, ErrNotBridged
		}
		change(e)
		return false, nil
	})
}

// Park marks l as leaving (the transferor of a blind transfer): its
// hang-up no longer ends the bridge, and its peers hear music until a
// Replace takes its place. resume undoes it when the transfer failed; if
// l has hung up meanwhile, that counts as its hang-up then.
func (c *Call) Park(l Leg) (resume func(), err error) {
	var e *end
	err = c.changeEnd(l, func(x *end) {
		x.parked = true
		e = x
	})
	if err != nil {
		return func() {}, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = c.run(func(b *bridge) (bool, error) {
				if b.find(l) != e {
					return false, nil // replaced meanwhile
				}
				e.parked = false
				if e.gone {
					return b.lost(e)
				}
				return false, nil
			})
		})
	}, nil
}

// Conference adds l (an answered leg) to the live bridge: with three and
// more parties the bridge mixes them (media/mix), each hearing everyone
// but themselves. It returns once l is in; l stays until it hangs up or
// the call ends. When parties leave and two remain, they are relayed
// again.
func (c *Call) Conference(ctx context.Context, l Leg) error {
	return c.Join(ctx, l, Everyone)
}

// Join adds l (an answered leg) to the live bridge like Conference, heard
// only by aud; l hears every other party. With l in, the bridge mixes
// (the two-party relay fast path needs two parties who hear each other);
// when l leaves, the parties left are relayed again. Joining a leg that
// is in the bridge already changes its audience. A leg Released earlier
// may join again.
func (c *Call) Join(ctx context.Context, l Leg, aud Audience) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.run(func(b *bridge) (bool, error) {
		if e := b.find(l); e != nil {
			e.aud = aud
			return false, nil
		}
		c.addLeg(l)
		c.mu.Lock()
		delete(c.released, l)
		c.mu.Unlock()
		b.add(&end{leg: l, aud: aud})
		return false, nil
	})
}

// SetAudience changes who hears l, a party of the live bridge (for a
// supervisor going from whisper to barge, say).
func (c *Call) SetAudience(l Leg, aud Audience) error {
	return c.changeEnd(l, func(e *end) { e.aud = aud })
}

// Bridged returns a channel closed once the call's bridge is live: the
// caller is answered, the parties are wired and the features (Tap, Join,
// Hold, ...) are taken at once. While a bridge runs the channel is
// closed; otherwise it is the channel of the call's next bridge, which
// stays open if there never is one, so a waiter also selects on its own
// end (the call's context, its talk's end). A handler that registers
// work for a bridge before entering Bridge (a recording tap) waits on it
// instead of polling for ErrNotBridged.
func (c *Call) Bridged() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live == nil {
		c.live = make(chan struct{})
	}
	return c.live
}

// Tap sends the decoded audio of l, a party of the live bridge (what that
// party says), to w, frame by frame, while l is in the bridge, until stop
// is called; w must not block. The bridge decodes each party's audio
// once, for its mixer and its taps alike: a recorder or a listener that
// read the leg's media itself would compete with the mixer for the same
// frames. After stop returns, w is not called again.
func (c *Call) Tap(l Leg, w media.FrameWriter) (stop func(), err error) {
	tp := &tap{w: w}
	err = c.changeEnd(l, func(e *end) { e.taps = append(e.taps, tp) })
	if err != nil {
		return func() {}, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			tp.mu.Lock()
			tp.off = true
			tp.mu.Unlock()
			// Forget it (if the bridge still runs) so the party is no
			// longer decoded for it.
			_ = c.run(func(b *bridge) (bool, error) {
				for _, e := range b.ends {
					e.taps = slices.DeleteFunc(e.taps, func(x *tap) bool { return x == tp })
				}
				return false, nil
			})
		})
	}, nil
}

// callerWatch is the switch's watch of the caller's slot: armed on the
// leg in the slot, unless its hang-up must be ignored (parked by a
// transfer, or moved to another call). It costs no goroutine while it
// waits (AfterEnd).
type callerWatch struct {
	on     bool
	hungUp func() // ends the call's handler
	stop   func() bool
}

// signal re-arms the switch's watch after a change of the caller's
// slot; c.mu is held.
func (c *Call) signal() {
	if c.watch.stop != nil {
		c.watch.stop()
		c.watch.stop = nil
	}
	caller := c.caller
	if !c.watch.on || c.released[caller] || c.parkedCaller {
		return
	}
	c.watch.stop = AfterEnd(caller, func() { c.callerEnded(caller) })
}

// watchCaller starts (on) or stops the switch's watch: while on, the
// caller's hang-up is noted as the call's end and hungUp is called.
func (c *Call) watchCaller(on bool, hungUp func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watch.on, c.watch.hungUp = on, hungUp
	c.signal()
}

// callerEnded is the watch firing: the leg that was in the caller's
// slot has ended. It counts only if the leg is still there, watched and
// not parked or released; the end is noted under c.mu, so once the
// watch is off no late firing can note it.
func (c *Call) callerEnded(caller Leg) {
	cause := endCause(caller)
	c.mu.Lock()
	if !c.watch.on || c.caller != caller || c.released[caller] || c.parkedCaller {
		c.mu.Unlock()
		return
	}
	c.watch.on = false
	c.watch.stop = nil
	if c.rec.HangupSide == "" {
		c.rec.HangupSide, c.rec.Cause = SideCaller, cause
	}
	hungUp := c.watch.hungUp
	c.mu.Unlock()
	hungUp()
}

// ownLegs are the legs the switch hangs up when the call ends: all but
// those moved to another call.
func (c *Call) ownLegs() []Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Leg, 0, len(c.in))
	for _, l := range c.in {
		if !c.released[l] {
			out = append(out, l)
		}
	}
	return out
}

// bridges reports whether the leg with this ID is a party of the call's
// live bridge.
func (c *Call) bridges(legID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.br == nil {
		return false
	}
	for _, id := range c.brIDs {
		if id == legID {
			return true
		}
	}
	return false
}

// Peers returns the parties of the call's live bridge other than l
// (whom l is talking to); nil when l is not in it.
func (c *Call) Peers(l Leg) []Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Leg
	in := false
	for _, x := range c.brLegs {
		if x == l {
			in = true
			continue
		}
		out = append(out, x)
	}
	if !in {
		return nil
	}
	return out
}

// holds reports whether the call has the leg with this ID.
func (c *Call) holds(legID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.in {
		if l.ID() == legID && !c.released[l] {
			return true
		}
	}
	return false
}
