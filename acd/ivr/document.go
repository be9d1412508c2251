package ivr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
)

// Format is the version of the flow document layout this package writes.
const Format = 1

// MaxDocument bounds an imported flow document (bytes), the same bound as
// the store's.
const MaxDocument = 1 << 20

// MaxNodes bounds the nodes of one flow.
const MaxNodes = 1000

// ErrImport marks a flow file that cannot be read; the wrapped
// *ImportError says where and why.
var ErrImport = errors.New("ivr: flow file refused")

// Document is a flow as the web designer edits it and the store keeps it:
// typed nodes placed on a canvas, joined by named exits.
type Document struct {
	Format int    `json:"format"`
	Name   string `json:"name,omitempty"`
	// Languages the flow speaks; every prompt must exist in each. The
	// first is the language a call starts in unless set otherwise.
	Languages []string `json:"languages"`
	Nodes     []Node   `json:"nodes"`
	// UI is the designer's own state (zoom, viewport), kept verbatim.
	UI json.RawMessage `json:"ui,omitempty"`
}

// Position is where a node sits on the designer's canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Node is one step of a flow. Settings depend on Type (see the node types
// in registry.go); Exits map an exit name to the id of the next node.
type Node struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"`
	Label    string            `json:"label,omitempty"`
	Position Position          `json:"position"`
	Settings json.RawMessage   `json:"settings,omitempty"`
	Exits    map[string]string `json:"exits,omitempty"`
}

// ImportError says where a flow file went wrong and why: Line and Column
// are 1-based and zero when the fault is not at one place; Code is a
// message key in firmware/i18n, Args fill it in.
type ImportError struct {
	Line, Column int
	Code         string
	Args         []string
}

// Message renders the error for a person in lang.
func (e *ImportError) Message(lang i18n.Lang) string {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		args[i] = a
	}
	reason := i18n.T(lang, e.Code, args...)
	if e.Line > 0 {
		return i18n.T(lang, "ivr.import.at", strconv.Itoa(e.Line), strconv.Itoa(e.Column), reason)
	}
	return reason
}

func (e *ImportError) Error() string {
	if !i18n.Has(e.Code) {
		// The catalogue is not wired in: still say something useful.
		return fmt.Sprintf("line %d, column %d: %s %v", e.Line, e.Column, e.Code, e.Args)
	}
	return e.Message(i18n.EN)
}

// Parse reads a flow document. It checks the shape (JSON syntax, field
// types, no unknown fields, size limits) and refuses a bad file with the
// line and the reason; whether the flow makes sense is Validate's job.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocument {
		return nil, importErr(data, -1, "ivr.import.too-large", strconv.Itoa(MaxDocument))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, decodeErr(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, importErr(data, dec.InputOffset(), "ivr.import.trailing")
	}
	switch {
	case doc.Format != Format:
		return nil, importErr(data, -1, "ivr.import.format", strconv.Itoa(doc.Format), strconv.Itoa(Format))
	case len(doc.Nodes) > MaxNodes:
		return nil, importErr(data, -1, "ivr.import.too-many-nodes", strconv.Itoa(MaxNodes))
	}
	for i, n := range doc.Nodes {
		if len(n.Settings) > 0 && !isObject(n.Settings) {
			return nil, importErr(data, -1, "ivr.import.settings-object", strconv.Itoa(i), n.ID)
		}
	}
	return &doc, nil
}

func isObject(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	return len(b) > 0 && b[0] == '{'
}

// Marshal writes a document as indented JSON, the form Export hands out.
func (d *Document) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ivr: export: %w", err)
	}
	return append(b, '\n'), nil
}

// Clone returns a deep copy, so a compiled flow never shares memory with
// a document an editor may still change.
func (d *Document) Clone() *Document {
	c := *d
	c.Languages = append([]string(nil), d.Languages...)
	c.UI = append(json.RawMessage(nil), d.UI...)
	c.Nodes = make([]Node, len(d.Nodes))
	for i, n := range d.Nodes {
		n.Settings = append(json.RawMessage(nil), n.Settings...)
		if n.Exits != nil {
			ex := make(map[string]string, len(n.Exits))
			for k, v := range n.Exits {
				ex[k] = v
			}
			n.Exits = ex
		}
		c.Nodes[i] = n
	}
	return &c
}

func decodeErr(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return importErr(data, syn.Offset, "ivr.import.syntax", syn.Error())
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "value"
		}
		want := "another type"
		if typ.Type != nil {
			want = typ.Type.String()
		}
		return importErr(data, typ.Offset, "ivr.import.type", where, typ.Value, want)
	case errors.Is(err, io.EOF):
		return importErr(data, -1, "ivr.import.empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return importErr(data, int64(len(data)), "ivr.import.truncated")
	}
	// Unknown fields and other decoder complaints carry no offset; the
	// decoder's position is just past the offending value, so point at the
	// last mention of the field's name before it.
	off := dec.InputOffset()
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		end := min(max(off, 0), int64(len(data)))
		if i := bytes.LastIndex(data[:end], []byte(`"`+name+`"`)); i >= 0 {
			off = int64(i)
		}
	}
	return importErr(data, off, "ivr.import.other", strings.TrimPrefix(msg, "json: "))
}

// importErr builds the error for a fault at byte offset (negative: no
// particular place).
func importErr(data []byte, offset int64, code string, args ...string) error {
	e := &ImportError{Code: code, Args: args}
	if offset >= 0 {
		if offset > int64(len(data)) {
			offset = int64(len(data))
		}
		e.Line, e.Column = 1, 1
		for _, c := range data[:offset] {
			if c == '\n' {
				e.Line++
				e.Column = 1
			} else {
				e.Column++
			}
		}
	}
	return fmt.Errorf("%w: %w", ErrImport, e)
}
