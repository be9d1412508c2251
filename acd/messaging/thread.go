package messaging

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"callbox/firmware/store"
)

// ErrNotHolder is an agent closing or reopening a conversation they do not
// hold (an unassigned one must be claimed first).
var ErrNotHolder = errors.New("messaging: conversation held by someone else")

// Closing a conversation. A call center handles an SMS thread the way it
// handles a ticket: closing marks the work done, it leaves the open list,
// nothing waits and nobody holds it. The thread itself lives on (the
// conversation is all messages with one number, for good), so the next
// inbound message reopens the same conversation as new work: unassigned,
// routed to its queue again as if it were new. Texts the box sends on its
// own (notifications) do not reopen it, nor does an inbound message an
// auto-reply rule answers by itself; an agent's reply or claim does.
// The state is a store.Conversation record; the messages and their history
// entries are never rewritten.

// threadStates reads every stored conversation state by key.
func threadStates(st *store.Store) (map[string]store.Conversation, error) {
	out := map[string]store.Conversation{}
	err := store.ListFunc(st, "", func(c store.Conversation) bool {
		out[c.Thread] = c
		return true
	})
	return out, err
}

// threadState reads one conversation's state (zero when it has none).
func threadState(st *store.Store, key string) (store.Conversation, error) {
	c, err := store.Get[store.Conversation](st, key)
	if errors.Is(err, store.ErrNotFound) {
		return store.Conversation{Thread: key}, nil
	}
	return c, err
}

// updateThread changes a conversation's state in one transaction,
// creating it on first use.
func updateThread(st *store.Store, key string, fn func(*store.Conversation)) error {
	for range 3 {
		_, err := store.Update(st, key, func(c *store.Conversation) error { fn(c); return nil })
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c := store.Conversation{Thread: key}
		fn(&c)
		_, err = store.Create(st, c)
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		// Created by someone else in between: update theirs.
	}
	return fmt.Errorf("messaging: conversation %q kept changing under an update", key)
}

// isClosed reports whether a thread is closed: closed, not reopened by
// hand since, and no message came in after the close.
func isClosed(th store.Conversation, lastIn time.Time) bool {
	return !th.ClosedAt.IsZero() && th.ReopenedAt.Before(th.ClosedAt) && !lastIn.After(th.ClosedAt)
}

// Close closes a conversation on behalf of by (a user name). agent must
// hold it unless force is set (a supervisor closing any conversation):
// ErrNotHolder. Closing a closed conversation changes nothing.
func Close(st *store.Store, key, agent, by string, force bool, at time.Time) (Conversation, error) {
	c, err := Get(st, key)
	if err != nil {
		return Conversation{}, err
	}
	if !force && (agent == "" || c.Agent != agent) {
		return Conversation{}, fmt.Errorf("%w: %q", ErrNotHolder, key)
	}
	if c.Closed {
		return c, nil
	}
	// Never before the thread's last message, or that message would
	// count as coming after the close.
	if at.Before(c.Updated) {
		at = c.Updated
	}
	err = updateThread(st, key, func(th *store.Conversation) {
		th.ClosedAt, th.ClosedBy, th.UpdatedAt = at, by, at
		th.Agent, th.Queue = "", ""
	})
	if err != nil {
		return Conversation{}, err
	}
	return Get(st, key)
}

// Reopen reopens a closed conversation by hand on behalf of by (a user
// name): the user who closed it, or anyone with force set (a supervisor);
// else ErrNotHolder. An open conversation is returned as it is.
func Reopen(st *store.Store, key, by string, force bool, at time.Time) (Conversation, error) {
	c, err := Get(st, key)
	if err != nil {
		return Conversation{}, err
	}
	if !c.Closed {
		return c, nil
	}
	if !force && (by == "" || c.ClosedBy != by) {
		return Conversation{}, fmt.Errorf("%w: %q", ErrNotHolder, key)
	}
	if err := reopen(st, key, at); err != nil {
		return Conversation{}, err
	}
	return Get(st, key)
}

func reopen(st *store.Store, key string, at time.Time) error {
	return updateThread(st, key, func(th *store.Conversation) {
		if at.Before(th.ClosedAt) {
			at = th.ClosedAt
		}
		th.ReopenedAt, th.UpdatedAt = at, at
	})
}

// applyRule keeps a matching rule's routing actions on the conversation:
// its queue (until the conversation is closed) and its tag.
func applyRule(st *store.Store, key string, d Decision, at time.Time) error {
	if d.Queue == "" && d.Tag == "" {
		return nil
	}
	return updateThread(st, key, func(th *store.Conversation) {
		if d.Queue != "" {
			th.Queue = d.Queue
		}
		if d.Tag != "" && !slices.Contains(th.Tags, d.Tag) {
			if len(th.Tags) >= store.MaxTags {
				th.Tags = th.Tags[1:] // the oldest tag gives way
			}
			th.Tags = append(th.Tags, d.Tag)
		}
		th.UpdatedAt = at
	})
}

// keepClosed keeps a closed conversation closed over an inbound message an
// auto-reply rule answered on its own: there is nothing for an agent to
// do. A conversation that other messages reopened stays open.
func keepClosed(st *store.Store, key string, m store.Message) error {
	th, err := threadState(st, key)
	if err != nil || th.ClosedAt.IsZero() || !th.ReopenedAt.Before(th.ClosedAt) {
		return err
	}
	msgs, err := ConversationMessages(st, key)
	if err != nil {
		return err
	}
	for _, o := range msgs {
		if o.Direction == store.DirectionIn && o.ID != m.ID && arrival(o).After(th.ClosedAt) {
			return nil // reopened by another message
		}
	}
	at := arrival(m)
	if !at.After(th.ClosedAt) {
		return nil
	}
	return updateThread(st, key, func(c *store.Conversation) {
		if c.ClosedAt.Equal(th.ClosedAt) {
			c.ClosedAt, c.UpdatedAt = at, at
		}
	})
}
