package messaging

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// Errors of conversations, checked with errors.Is.
var (
	// ErrNoConversation is a key no SMS was ever exchanged with.
	ErrNoConversation = errors.New("messaging: no such conversation")
	// ErrTaken is a conversation another agent holds.
	ErrTaken = errors.New("messaging: conversation taken by another agent")
	// ErrUnknownAgent is an agent ID the store does not have.
	ErrUnknownAgent = errors.New("messaging: unknown agent")
)

// TakenError says which agent holds a conversation; errors.Is(err,
// ErrTaken) is true of it.
type TakenError struct{ Agent string }

func (e *TakenError) Error() string { return fmt.Sprintf("%v: %s", ErrTaken, e.Agent) }

// Unwrap makes errors.Is(err, ErrTaken) true.
func (e *TakenError) Unwrap() error { return ErrTaken }

// Conversation is the SMS thread with one far-end number.
type Conversation struct {
	// Key is the number in normalised form (see Key).
	Key    string `json:"key"`
	Number string `json:"number"` // as the last message wrote it
	// CustomerID is the customer with that number, if one has it.
	CustomerID string `json:"customerId,omitempty"`
	// Line is the modem the last inbound message came in on (replies go
	// out there, so the customer sees the same sender), Queue that
	// line's route: the agents who answer it.
	Line  string `json:"line,omitempty"`
	Queue string `json:"queue,omitempty"`
	// Agent holds the conversation ("" while nobody has claimed it).
	Agent string `json:"agent,omitempty"`
	// Waiting counts inbound messages since the last outbound one (and
	// since the conversation was last closed).
	Waiting  int           `json:"waiting"`
	Messages int           `json:"messages"`
	Last     store.Message `json:"last"`
	Updated  time.Time     `json:"updated"`
	// Closed is true from a Close until the next inbound message (or a
	// reply, claim or Reopen); ClosedAt and ClosedBy say who closed it
	// last, also once it has reopened.
	Closed   bool      `json:"closed"`
	ClosedAt time.Time `json:"closedAt,omitzero"`
	ClosedBy string    `json:"closedBy,omitempty"`
	// Tags were added by auto-reply rules.
	Tags []string `json:"tags,omitempty"`

	thread store.Conversation // the stored state
}

// Conversations lists every SMS thread, the most recently active first.
func Conversations(st *store.Store) ([]Conversation, error) {
	plan := planOf(st)
	threads := map[string][]store.Message{}
	err := store.ListFunc(st, "", func(m store.Message) bool {
		if m.Channel == store.ChannelSMS {
			k := Key(plan, m.Number)
			threads[k] = append(threads[k], m)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	states, err := threadStates(st)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*Conversation, len(threads))
	for k, msgs := range threads {
		sortMessages(msgs)
		byKey[k] = summarize(k, msgs, states[k])
	}
	if err := fillIn(st, plan, byKey); err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Conversation) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// summarize makes the conversation of a thread sorted oldest first, with
// its stored state th.
func summarize(key string, msgs []store.Message, th store.Conversation) *Conversation {
	c := &Conversation{Key: key, ClosedAt: th.ClosedAt, ClosedBy: th.ClosedBy, Tags: th.Tags, thread: th}
	var lastIn time.Time
	for _, m := range msgs {
		c.Messages++
		c.Updated, c.Last, c.Number = arrival(m), m, m.Number
		if m.Direction == store.DirectionIn {
			if arrival(m).After(th.ClosedAt) {
				c.Waiting++
			}
			c.Line = m.Line
			lastIn = arrival(m)
		} else {
			c.Waiting = 0
		}
	}
	c.Closed = isClosed(th, lastIn)
	if c.Closed {
		c.Waiting = 0
	}
	return c
}

// fillIn adds what the messages do not say: agent, queue, customer.
func fillIn(st *store.Store, plan directory.Plan, convs map[string]*Conversation) error {
	if err := assignments(st, plan, convs); err != nil {
		return err
	}
	routes, err := lineRoutes(st)
	if err != nil {
		return err
	}
	for _, c := range convs {
		c.Queue = routes[c.Line]
		if c.thread.Queue != "" {
			c.Queue = c.thread.Queue // an auto-reply rule sent it there
		}
	}
	// Customers are matched once for all conversations.
	return store.ListFunc(st, "", func(cu store.Customer) bool {
		for _, n := range cu.Numbers {
			if c := convs[Key(plan, n)]; c != nil && c.CustomerID == "" {
				c.CustomerID = cu.ID
			}
		}
		return true
	})
}

// Get returns one conversation.
func Get(st *store.Store, key string) (Conversation, error) {
	msgs, err := ConversationMessages(st, key)
	if err != nil {
		return Conversation{}, err
	}
	th, err := threadState(st, key)
	if err != nil {
		return Conversation{}, err
	}
	c := summarize(key, msgs, th)
	if err := fillIn(st, planOf(st), map[string]*Conversation{key: c}); err != nil {
		return Conversation{}, err
	}
	return *c, nil
}

// ConversationMessages lists the SMS of one conversation, oldest first.
func ConversationMessages(st *store.Store, key string) ([]store.Message, error) {
	plan := planOf(st)
	var out []store.Message
	err := store.ListFunc(st, "", func(m store.Message) bool {
		if m.Channel == store.ChannelSMS && Key(plan, m.Number) == key {
			out = append(out, m)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoConversation, key)
	}
	sortMessages(out)
	return out, nil
}

// arrival is when a message reached the box (inbound) or was written
// (outbound). An inbound message's CreatedAt is the service centre's time
// stamp: whole seconds, from the network's clock, so it cannot order a
// thread against the box's own replies.
func arrival(m store.Message) time.Time {
	if m.Direction == store.DirectionIn && !m.UpdatedAt.IsZero() {
		return m.UpdatedAt
	}
	return m.CreatedAt
}

func sortMessages(msgs []store.Message) {
	slices.SortStableFunc(msgs, func(a, b store.Message) int {
		if c := arrival(a).Compare(arrival(b)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// assignments fills in the agent of each conversation: the agent of its
// newest SMS history entry that names one, among those after the
// conversation was last closed; failing that, the agent who claimed it
// after the close (kept in its stored state). A closed conversation has
// no agent.
func assignments(st *store.Store, plan directory.Plan, convs map[string]*Conversation) error {
	newest := map[string]time.Time{}
	err := store.ListFunc(st, "", func(ct store.Contact) bool {
		if ct.Channel != store.ChannelSMS || ct.Agent == "" {
			return true
		}
		k := Key(plan, ct.Number)
		c := convs[k]
		if c == nil || !ct.At.After(c.thread.ClosedAt) {
			return true
		}
		if t, seen := newest[k]; !seen || ct.At.After(t) {
			newest[k], c.Agent = ct.At, ct.Agent
		}
		return true
	})
	for _, c := range convs {
		if c.Agent == "" {
			c.Agent = c.thread.Agent
		}
		if c.Closed {
			c.Agent = ""
		}
	}
	return err
}

// agentOf returns who holds the conversation with number.
func agentOf(st *store.Store, plan directory.Plan, number string) (string, error) {
	k := Key(plan, number)
	th, err := threadState(st, k)
	if err != nil {
		return "", err
	}
	c := &Conversation{Key: k, thread: th}
	err = assignments(st, plan, map[string]*Conversation{k: c})
	return c.Agent, err
}

func lineRoutes(st *store.Store) (map[string]string, error) {
	lines, err := store.List[store.Line](st)
	if err != nil {
		return nil, err
	}
	routes := make(map[string]string, len(lines))
	for _, l := range lines {
		routes[l.ID] = l.Route
	}
	return routes, nil
}

// Claim gives the conversation to agent: the newest inbound message's
// history entry names the agent from now on. A conversation another agent
// holds is ErrTaken unless steal is set (a supervisor reassigning it).
func Claim(st *store.Store, key, agent string, steal bool) error {
	if _, err := store.Get[store.Agent](st, agent); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
		}
		return err
	}
	c, err := Get(st, key)
	if err != nil {
		return err
	}
	if c.Agent != "" && c.Agent != agent && !steal {
		return &TakenError{Agent: c.Agent}
	}
	now := time.Now()
	if c.Closed {
		// Claiming a closed conversation takes it up again.
		if err := reopen(st, key, now); err != nil {
			return err
		}
	}
	if !c.Updated.After(c.thread.ClosedAt) && !c.thread.ClosedAt.IsZero() {
		// Every message predates the last close, so no history entry
		// can carry the assignment: the stored state does.
		return updateThread(st, key, func(th *store.Conversation) { th.Agent, th.UpdatedAt = agent, now })
	}
	msgs, err := ConversationMessages(st, key)
	if err != nil {
		return err
	}
	plan := planOf(st)
	// The newest message's entry carries the assignment: it is the one
	// assignments reads first.
	last := msgs[len(msgs)-1]
	_, err = store.Update(st, last.ID, func(c *store.Contact) error { c.Agent = agent; return nil })
	if errors.Is(err, store.ErrNotFound) {
		// A message recorded without its history entry (an older box).
		err = recordContact(st, plan, last, agent)
	}
	return err
}

// Reply queues an agent's answer in a conversation, on the line the
// customer last wrote to, and makes the agent its holder (unless another
// agent holds it: ErrTaken).
func Reply(st *store.Store, key, agent, text string) (store.Message, error) {
	c, err := Get(st, key)
	if err != nil {
		return store.Message{}, err
	}
	if c.Agent != "" && c.Agent != agent {
		return store.Message{}, &TakenError{Agent: c.Agent}
	}
	if agent != "" {
		if _, err := store.Get[store.Agent](st, agent); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.Message{}, fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
			}
			return store.Message{}, err
		}
	}
	now := time.Now()
	if c.Closed {
		// Writing to a closed conversation takes it up again.
		if err := reopen(st, key, now); err != nil {
			return store.Message{}, err
		}
	}
	if !now.After(c.thread.ClosedAt) {
		// The reply comes after the close, even on a coarse clock: its
		// history entry must carry the new assignment.
		now = c.thread.ClosedAt.Add(time.Nanosecond)
	}
	return queueSMS(st, now, c.Line, c.Number, text, agent)
}
