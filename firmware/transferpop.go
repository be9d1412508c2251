package firmware

import "callbox/acd/agent"

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
