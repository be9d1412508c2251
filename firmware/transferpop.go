package firmware

import (
	"context"

	"callbox/acd"
	"callbox/acd/agent"
)

// agentAt names the agent logged in at extension ext among the
// dispatcher's agents: a transfer that rings ext pops the call to them
// (cti.Config.AgentAt).
func agentAt(agents []agent.Snapshot, ext string) (string, bool) {
	for _, a := range agents {
		if a.Extension == ext && a.State != agent.LoggedOut {
			return a.ID, true
		}
	}
	return "", false
}

// dialFunc rings an extension (b2bua.B2BUA.Dial).
type dialFunc func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)

// namedDial is dial for the router's reach of an extension: an outside
// caller handed to a desk phone (a blind transfer, a conference) shows
// with the name the customer directory knows, as a queue's call does,
// instead of the network's caller name or none. name answers within
// its own short bound ("" when the caller is unknown).
func namedDial(dial dialFunc, name func(ctx context.Context, number string) string) dialFunc {
	return func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error) {
		if caller.Source.External() && caller.Number != "" {
			if n := name(ctx, caller.Number); n != "" {
				caller.Name = n
			}
		}
		return dial(ctx, ext, caller, callerLeg)
	}
}
