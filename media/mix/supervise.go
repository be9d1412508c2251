package mix

import (
	"fmt"

	"callbox/media"
	"callbox/media/dsp"
)

// Mode is how a supervisor joins a call between a caller and an agent.
type Mode uint8

// Supervisor modes.
const (
	// Listen: the supervisor hears both; nobody hears the supervisor.
	Listen Mode = iota + 1
	// Whisper: the supervisor hears both; the agent hears the supervisor,
	// the caller does not (coaching).
	Whisper
	// Barge: everyone hears everyone.
	Barge
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Listen:
		return "listen"
	case Whisper:
		return "whisper"
	case Barge:
		return "barge"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Out is where Mode.Mix writes what each party hears.
type Out struct {
	Caller, Agent, Supervisor *media.Frame
}

// Mix computes one 20 ms step of a supervised call from each party's voice
// (nil is silence) into out.
func (m Mode) Mix(caller, agent, supervisor *media.Frame, out Out) {
	var silence media.Frame
	if caller == nil {
		caller = &silence
	}
	if agent == nil {
		agent = &silence
	}
	if supervisor == nil {
		supervisor = &silence
	}
	supToCaller := m == Barge
	supToAgent := m == Whisper || m == Barge
	for i := range media.FrameSamples {
		c, a, s := int32(caller[i]), int32(agent[i]), int32(supervisor[i])
		toCaller, toAgent := a, c
		if supToCaller {
			toCaller += s
		}
		if supToAgent {
			toAgent += s
		}
		out.Caller[i] = dsp.Saturate(toCaller)
		out.Agent[i] = dsp.Saturate(toAgent)
		out.Supervisor[i] = dsp.Saturate(c + a)
	}
}
