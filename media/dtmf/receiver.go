package dtmf

// Receiver turns received telephone-event packets into digits, each once.
// An event is identified by its RTP timestamp: the first packet seen with a
// new timestamp (start, continuation or end, whichever survived) yields the
// digit; later packets of the same event, end retransmissions and late
// reordered packets of recent events are dropped. It is not safe for
// concurrent use; one leg's receive loop owns it.
type Receiver struct {
	recent [8]uint32 // timestamps of the last events, newest at next-1
	seen   int       // how many slots of recent hold a timestamp
	next   int
}

// Push consumes one packet. It returns the event and true when the packet
// starts a digit not reported before; it returns an error for a payload
// that is not a valid DTMF event.
func (r *Receiver) Push(ts uint32, payload []byte) (Event, bool, error) {
	var e Event
	if err := e.Unmarshal(payload); err != nil {
		return Event{}, false, err
	}
	for i := 0; i < r.seen; i++ {
		if r.recent[i] == ts {
			return e, false, nil
		}
	}
	r.recent[r.next] = ts
	r.next = (r.next + 1) % len(r.recent)
	r.seen = min(r.seen+1, len(r.recent))
	return e, true, nil
}

// Reset forgets past events, for when the sender's SSRC changes and its
// timestamps start afresh.
func (r *Receiver) Reset() { *r = Receiver{} }
