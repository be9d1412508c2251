package firmware

import (
	"context"
	"errors"
	"fmt"

	"callbox/acd"
	"callbox/acd/pbx"
	"callbox/acd/queue"
)

// requeueTo puts a customer a blind transfer to a queue could not hand
// to an agent into that queue's waiting line, ahead of the callers
// there (they have waited once already): the queue's music,
// announcements, max-wait overflow and callback offers apply.
func requeueTo(l *queue.Live) pbx.Requeuer {
	return func(ctx context.Context, c *acd.Call, name string) error {
		return l.Wait(ctx, c, queue.Request{Queue: name, Priority: pbx.RecallPriority})
	}
}

// waitsOnly marks a queue's refusal to ring anyone (nobody logged in)
// with pbx.ErrQueueWaitsOnly when the queue takes callers all the same,
// by its join rule or its overflow, so that a blind transfer hands the
// customer to its waiting line rather than back to the agent.
func waitsOnly(reach pbx.QueueReacher, d *queue.Dispatcher) pbx.QueueReacher {
	return func(ctx context.Context, r pbx.QueueReach) (acd.Leg, string, string, error) {
		leg, agent, ext, err := reach(ctx, r)
		if errors.Is(err, queue.ErrNoAgents) {
			if cfg, qerr := d.Queue(r.Queue); qerr == nil && (cfg.JoinWhen == queue.Always || cfg.Overflow.Kind != queue.DestNone) {
				err = fmt.Errorf("%w: %w", pbx.ErrQueueWaitsOnly, err)
			}
		}
		return leg, agent, ext, err
	}
}
