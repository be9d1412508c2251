package ivr

import (
	"fmt"
	"sync"
)

// Flow is a compiled, immutable flow at one version: what a call runs.
// A call keeps the *Flow it started with, so publishing a new version
// never changes a call in progress.
type Flow struct {
	id      string
	version int
	doc     *Document
	start   string
	nodes   map[string]*cnode
}

// cnode is a compiled node.
type cnode struct {
	id, typ string
	waits   bool
	b       behavior
	exits   map[string]string
}

// Compile checks a document and builds the flow to run as id at version.
// An invalid document returns Problems (errors.Is ErrInvalid).
func Compile(doc *Document, id string, version int, chk Checks) (*Flow, error) {
	if doc == nil {
		return nil, fmt.Errorf("%w: no document", ErrInvalid)
	}
	doc = doc.Clone()
	nodes, ps := analyse(doc, chk)
	if len(ps) > 0 {
		return nil, Problems(ps)
	}
	f := &Flow{id: id, version: version, doc: doc, nodes: nodes}
	for _, n := range doc.Nodes {
		if n.Type == "start" {
			f.start = n.ID
		}
	}
	return f, nil
}

// ID is the flow's store id.
func (f *Flow) ID() string { return f.id }

// Version is the flow's published version.
func (f *Flow) Version() int { return f.version }

// Name is the flow's display name.
func (f *Flow) Name() string { return f.doc.Name }

// Languages are the languages the flow speaks, the default first.
func (f *Flow) Languages() []string { return append([]string(nil), f.doc.Languages...) }

// Document returns a copy of the document the flow was compiled from.
func (f *Flow) Document() *Document { return f.doc.Clone() }

// Catalog holds the published version of every flow for new calls. Put
// replaces a flow for calls that start afterwards; calls already running
// hold their own *Flow and are not affected.
type Catalog struct {
	mu    sync.RWMutex
	flows map[string]*Flow
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{flows: map[string]*Flow{}} }

// Get returns the published flow with id.
func (c *Catalog) Get(id string) (*Flow, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	f, ok := c.flows[id]
	return f, ok
}

// Put publishes f for new calls. An older version than the one held is
// ignored (change-feed events may arrive late after a restore), and
// reported as false.
func (c *Catalog) Put(f *Flow) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.flows[f.id]; ok && old.version > f.version {
		return false
	}
	c.flows[f.id] = f
	return true
}

// Delete withdraws a flow from new calls.
func (c *Catalog) Delete(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flows, id)
}
