package main

import (
	"encoding/json"
	"fmt"

	"callbox/bench/account"
	"callbox/bench/callcenter"
	"callbox/firmware/store"
)

// seedCallCenter writes what scenarios 3, 4 and 6 route through: agents
// on their own extensions, the recorded queue, the IVR flow with its
// DTMF menu, the carrier's trunk with its inbound routes, and simulated
// PSTN lines routed to the flow (see bench/callcenter for the names).
func seedCallCenter(st *store.Store, agents, lines int) error {
	var members []store.QueueMember
	for i := range agents {
		num := callcenter.AgentNumber(i)
		if _, err := store.Put(st, store.Extension{Number: num, Name: "Agent " + num, Secret: account.Secret(num)}); err != nil {
			return fmt.Errorf("agent extension %s: %w", num, err)
		}
		if _, err := store.Put(st, store.Agent{ID: num, Name: "Agent " + num, Extension: num, Enabled: true}); err != nil {
			return fmt.Errorf("agent %s: %w", num, err)
		}
		members = append(members, store.QueueMember{Agent: num, Level: 1, Weight: 1})
	}
	q := store.Queue{Name: callcenter.Queue, Number: callcenter.QueueNumber, Strategy: store.StrategyLongestIdle,
		Members: members, RingSeconds: 20, ServiceLevelSeconds: 20, Record: store.RecordAll}
	if _, err := store.Put(st, q); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	flow := store.Flow{ID: callcenter.Flow, Name: "Bench: menu to the recorded queue", Version: 1, Published: true,
		Doc: json.RawMessage(callcenter.FlowDoc())}
	if _, err := store.Put(st, flow); err != nil {
		return fmt.Errorf("flow: %w", err)
	}
	trunk := store.Trunk{Name: callcenter.Trunk, Host: callcenter.CarrierAddr, Port: callcenter.CarrierPort,
		Transport: store.TransportUDP, Codecs: []string{"PCMU", "PCMA", "telephone-event"}, Enabled: true}
	if _, err := store.Put(st, trunk); err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	for _, r := range []store.InboundRoute{
		{Name: "bench-ivr", Via: callcenter.Trunk, DID: callcenter.DIDFlow, Target: "flow:" + callcenter.Flow},
		{Name: "bench-queue", Via: callcenter.Trunk, DID: callcenter.DIDQueue, Target: "queue:" + callcenter.Queue},
	} {
		if _, err := store.Put(st, r); err != nil {
			return fmt.Errorf("inbound route %s: %w", r.Name, err)
		}
	}
	for i := 1; i <= lines; i++ {
		l := store.Line{ID: fmt.Sprintf("line%d", i), Name: fmt.Sprintf("Simulated line %d", i), Type: store.LineFXO,
			Device: fmt.Sprintf("sim:%d", i), Route: "flow:" + callcenter.Flow, Enabled: true}
		if _, err := store.Put(st, l); err != nil {
			return fmt.Errorf("line %s: %w", l.ID, err)
		}
	}
	return nil
}
