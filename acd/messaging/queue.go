package messaging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/outbox"
	"callbox/firmware/store"
	"callbox/media/t4"
)

// ErrNoDocument is a fax document name that was never uploaded.
var ErrNoDocument = errors.New("messaging: no such fax document")

// DataDir is the appliance's data directory: the directory of the store
// file. Fax images and documents live under it.
func DataDir(st *store.Store) string { return filepath.Dir(st.Path()) }

// QueueSMS queues a text for number, to be sent by any SMS modem, and
// writes it into the contact history; agent is the agent who wrote it ("" for
// the API or the box itself). The store validates number and text.
func QueueSMS(st *store.Store, number, text, agent string) (store.Message, error) {
	return queueSMS(st, time.Now(), "", number, text, agent)
}

func queueSMS(st *store.Store, now time.Time, line, number, text, agent string) (store.Message, error) {
	m := store.Message{
		ID: outbox.NewID("sms-out", now), Channel: store.ChannelSMS, Direction: store.DirectionOut,
		Number: number, Line: line, Text: text, State: store.StateQueued,
		CreatedAt: now, UpdatedAt: now, NextAttempt: now,
	}
	if err := record(st, planOf(st), m, agent); err != nil {
		return store.Message{}, err
	}
	return m, nil
}

// QueueFax queues the uploaded document (see SaveDocument) for number, to
// be sent by any fax modem, and writes it into the contact history.
func QueueFax(ctx context.Context, st *store.Store, dataDir, number, document string) (store.Message, error) {
	return queueFax(ctx, st, dataDir, time.Now(), number, document, "")
}

// QueueFaxBy is QueueFax for a fax an agent sends: their agent ID goes into
// the contact history entry.
func QueueFaxBy(ctx context.Context, st *store.Store, dataDir, number, document, agent string) (store.Message, error) {
	return queueFax(ctx, st, dataDir, time.Now(), number, document, agent)
}

func queueFax(ctx context.Context, st *store.Store, dataDir string, now time.Time, number, document, agent string) (store.Message, error) {
	if err := checkName(document); err != nil {
		return store.Message{}, err
	}
	rel := docPath(document)
	data, err := os.ReadFile(filepath.Join(dataDir, rel))
	if errors.Is(err, os.ErrNotExist) {
		return store.Message{}, fmt.Errorf("%w: %q", ErrNoDocument, document)
	}
	if err != nil {
		return store.Message{}, fmt.Errorf("messaging: reading fax document: %w", err)
	}
	pages, err := t4.ReadTIFF(data)
	if err != nil {
		return store.Message{}, fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	if err := ctx.Err(); err != nil {
		return store.Message{}, err
	}
	m := store.Message{
		ID: outbox.NewID("fax-out", now), Channel: store.ChannelFax, Direction: store.DirectionOut,
		Number: number, Path: rel, Pages: len(pages), State: store.StateQueued,
		CreatedAt: now, UpdatedAt: now, NextAttempt: now,
	}
	if err := record(st, planOf(st), m, agent); err != nil {
		return store.Message{}, err
	}
	return m, nil
}

// documentRes is the resolution uploaded documents are kept at: every
// Group 3 machine takes fine, and text stays legible.
const documentRes = t4.Fine

// loadDocument is fax.LoadDocument with this package's error.
func loadDocument(ctx context.Context, data []byte) ([]*t4.Page, error) {
	pages, err := fax.LoadDocument(ctx, data, documentRes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	return pages, nil
}
