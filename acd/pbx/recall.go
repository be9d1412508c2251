package pbx

import (
	"context"
	"errors"
	"sync"

	"callbox/acd"
)

// RecallPriority is the queue.Request.Priority of a customer put back
// into a queue after a blind transfer to it found no agent: they have
// waited once already, so they rank ahead of the callers waiting there
// (VIP priorities from customer data are far smaller).
const RecallPriority = 1 << 20

// ErrQueueWaitsOnly is wrapped by a QueueReacher's error when the queue
// has nobody to ring now (nobody logged in) but takes callers into its
// waiting line all the same (its join rule lets them in, or it
// overflows): a blind transfer then hands the customer to that line
// instead of back to the agent, who let go of them.
var ErrQueueWaitsOnly = errors.New("pbx: the queue has nobody to ring, only its waiting line")

// Requeuer puts a call's customer (its caller leg) into a queue's
// normal waiting path, as Config.Queue does for a new call but ahead of
// the callers there (queue.Live.Wait with RecallPriority): hold music,
// announcements, max-wait overflow and callbacks apply. It returns when
// the call is over for the queue.
type Requeuer func(ctx context.Context, c *acd.Call, queue string) error

// recalls are the calls whose customer the handler is to put back into
// a queue once their bridge ends: Control marks them when a blind
// transfer to a queue failed after the agent handing on hung up.
type recalls struct {
	mu     sync.Mutex
	byCall map[*acd.Call]recall
}

// recall is where a customer goes back to and the leg they were on then.
type recall struct {
	queue    string
	customer acd.Leg
}

// mark notes that c's customer goes back into queue when the handler
// regains the call. Marks whose customer has hung up are dropped on the
// way (a call that ended before its handler looked leaves nothing).
func (rs *recalls) mark(c *acd.Call, queue string, customer acd.Leg) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.byCall == nil {
		rs.byCall = map[*acd.Call]recall{}
	}
	for k, v := range rs.byCall {
		if gone(v.customer) {
			delete(rs.byCall, k)
		}
	}
	rs.byCall[c] = recall{queue: queue, customer: customer}
}

// take returns and forgets c's mark.
func (rs *recalls) take(c *acd.Call) (recall, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r, ok := rs.byCall[c]
	delete(rs.byCall, c)
	return r, ok
}

func gone(l acd.Leg) bool {
	select {
	case <-l.Done():
		return true
	default:
		return false
	}
}

// Handle routes one call; it is the switch's acd.Handler. It returns when
// the call is over for the box (see acd.Handler for what the error
// means). A customer left alone by a failed blind transfer to a queue
// (Control.Transfer) is not dropped: once the route's bridge ends, the
// customer waits in that queue (Config.Requeue).
func (r *Router) Handle(ctx context.Context, c *acd.Call) error {
	err := r.handle(ctx, c)
	for {
		rc, ok := r.recalls.take(c)
		if !ok || ctx.Err() != nil || c.Caller() != rc.customer || gone(rc.customer) {
			return err
		}
		r.log.InfoContext(ctx, "customer back to the queue after a failed transfer", "call_id", c.ID(), "queue", rc.queue)
		// The queue's own agent may blind-transfer to a queue again.
		err = r.cfg.Requeue(ctx, c, rc.queue)
	}
}

// requeue marks call's customer, party, for the queue that target
// names after the blind transfer of agent (the leg handing on) failed
// with err, when the agent hung up meanwhile or the queue only has its
// waiting line (ErrQueueWaitsOnly). It is false when the agent is there
// to take the customer back otherwise, target is no queue, the customer
// is not the call's caller or hung up, or the box has no Requeue.
func (c *Control) requeue(call *acd.Call, agent, party acd.Leg, target string, err error) (string, bool) {
	if c.router.cfg.Requeue == nil || gone(party) || call.Caller() != party {
		return "", false
	}
	if !gone(agent) && !errors.Is(err, ErrQueueWaitsOnly) {
		return "", false
	}
	name, ok := QueueTarget(target)
	if !ok {
		name, ok = c.router.queueNumber(party.Caller(), target)
	}
	if !ok {
		return "", false
	}
	c.router.recalls.mark(call, name, party)
	return name, true
}
