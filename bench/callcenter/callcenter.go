// Package callcenter names what the call-center scenarios of the
// benchmark (3, 4 and 6) seed into the box and call: the agents'
// extensions, the recorded queue, the IVR flow with its DTMF menu, the
// carrier's trunk and its dialled numbers, so that bench/seed and
// bench/callbench agree.
package callcenter

import (
	"fmt"
	"strings"
)

// The records bench/seed writes with -agents.
const (
	Queue       = "bench"
	QueueNumber = "690"
	Flow        = "bench"
	Trunk       = "carrier"
	// CarrierAddr is the carrier's loopback address: the box knows the
	// trunk's calls by their source address, so the carrier's SIPp binds
	// here and the phones stay on 127.0.0.1.
	CarrierAddr = "127.0.0.2"
	CarrierPort = 25090
	// DIDFlow reaches the IVR menu, DIDQueue the queue directly.
	DIDFlow  = "7000"
	DIDQueue = "7001"
	// MenuKey is the digit the menu sends to the queue.
	MenuKey = '1'
	// FirstAgent is the first agent's extension and agent ID.
	FirstAgent = 5000
	// MaxLines is how many simulated PSTN lines the box runs at most.
	MaxLines = 16
)

// AgentNumber is the i-th agent's extension (also its agent ID).
func AgentNumber(i int) string { return fmt.Sprint(FirstAgent + i) }

// FlowDoc is the IVR flow: the menu prompt, key 1 to the queue; no key
// or another key ends the call, so a digit the box did not receive
// shows as a failed call.
func FlowDoc() string {
	return strings.TrimSpace(`
{
  "format": 1,
  "name": "Bench: menu to the recorded queue",
  "languages": ["en"],
  "nodes": [
    {"id": "start", "type": "start", "label": "Incoming call", "position": {"x": 40, "y": 40},
     "exits": {"next": "menu"}},
    {"id": "menu", "type": "menu", "label": "Menu", "position": {"x": 40, "y": 160},
     "settings": {"prompts": [{"key": "main-menu"}], "timeoutMs": 8000, "retries": 0},
     "exits": {"1": "queue"}},
    {"id": "queue", "type": "queue", "label": "Recorded queue", "position": {"x": 40, "y": 280},
     "settings": {"queue": "bench"}}
  ]
}`)
}
