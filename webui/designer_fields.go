package webui

import "callbox/firmware/i18n"

// The settings form of each node type, which the designer's side panel is
// generated from. Names and JSON shapes follow the node types' settings in
// acd/ivr (nodes_*.go, lookup.go); a type not listed here has no settings.

// fieldKind says how the side panel edits a setting and what JSON it
// writes.
type fieldKind string

const (
	fieldText    fieldKind = "text"    // a string
	fieldNumber  fieldKind = "number"  // an integer; empty leaves it out
	fieldBool    fieldKind = "bool"    // a checkbox
	fieldSelect  fieldKind = "select"  // one of Options
	fieldName    fieldKind = "name"    // a string, offered from the names list From
	fieldPrompts fieldKind = "prompts" // a list of prompt items: one key per line, or a JSON object per line
	fieldJSON    fieldKind = "json"    // any JSON value (rules, skills, maps), edited as text
)

// fieldSpec is one setting of a node type.
type fieldSpec struct {
	Name    string
	Kind    fieldKind
	From    string   // fieldName: which list of designerNames
	Options []string // fieldSelect
	Example string   // fieldJSON: a sample value shown as a placeholder
}

// fieldSpecJSON is a fieldSpec with its label for the script.
type fieldSpecJSON struct {
	Name    string    `json:"name"`
	Kind    fieldKind `json:"kind"`
	Label   string    `json:"label"`
	From    string    `json:"from,omitempty"`
	Options []string  `json:"options,omitempty"`
	Example string    `json:"example,omitempty"`
}

// retryFields are the menu's and collect node's retry settings.
var retryFields = []fieldSpec{
	{Name: "timeoutMs", Kind: fieldNumber},
	{Name: "retries", Kind: fieldNumber},
	{Name: "bargeIn", Kind: fieldBool},
	{Name: "invalidPrompts", Kind: fieldPrompts},
	{Name: "timeoutPrompts", Kind: fieldPrompts},
}

const rulesExample = `[{"exit":"vip","op":"prefix","value":"138"}]`

var nodeFields = map[string][]fieldSpec{
	"play": {{Name: "prompts", Kind: fieldPrompts}, {Name: "bargeIn", Kind: fieldBool}},
	"menu": append([]fieldSpec{{Name: "prompts", Kind: fieldPrompts}}, retryFields...),
	"collect": append([]fieldSpec{
		{Name: "prompts", Kind: fieldPrompts},
		{Name: "variable", Kind: fieldText},
		{Name: "min", Kind: fieldNumber},
		{Name: "max", Kind: fieldNumber},
		{Name: "terminator", Kind: fieldSelect, Options: []string{"", "#", "*", "none"}},
		{Name: "interDigitMs", Kind: fieldNumber},
		{Name: "pattern", Kind: fieldText},
		{Name: "confirmPrompts", Kind: fieldPrompts},
	}, retryFields...),
	"branch-ani":   {{Name: "rules", Kind: fieldJSON, Example: rulesExample}},
	"branch-dnis":  {{Name: "rules", Kind: fieldJSON, Example: rulesExample}},
	"branch-hours": {{Name: "hours", Kind: fieldName, From: "hours"}},
	"branch-var": {
		{Name: "var", Kind: fieldText},
		{Name: "rules", Kind: fieldJSON, Example: `[{"exit":"paid","op":"equals","value":"paid"}]`},
	},
	"set-language": {{Name: "lang", Kind: fieldName, From: "langs"}, {Name: "var", Kind: fieldText}},
	"set-var":      {{Name: "vars", Kind: fieldJSON, Example: `{"order":"{{digits}}"}`}},
	"lookup": {
		{Name: "method", Kind: fieldSelect, Options: []string{"", "GET", "POST"}},
		{Name: "url", Kind: fieldText},
		{Name: "body", Kind: fieldJSON, Example: `{"order":"{{order}}"}`},
		{Name: "headers", Kind: fieldJSON, Example: `{"Accept":"application/json"}`},
		{Name: "timeoutMs", Kind: fieldNumber},
		{Name: "map", Kind: fieldJSON, Example: `{"status":"order.status"}`},
	},
	"queue": {
		{Name: "queue", Kind: fieldName, From: "queues"},
		{Name: "priority", Kind: fieldNumber},
		{Name: "skills", Kind: fieldJSON, Example: `[{"skill":"sales","minLevel":2}]`},
	},
	"transfer": {
		{Name: "extension", Kind: fieldName, From: "extensions"},
		{Name: "number", Kind: fieldText},
		{Name: "var", Kind: fieldText},
	},
	"voicemail": {{Name: "mailbox", Kind: fieldName, From: "mailboxes"}},
	"callback":  {{Name: "queue", Kind: fieldName, From: "queues"}, {Name: "numberVar", Kind: fieldText}},
	"fax":       {{Name: "document", Kind: fieldText}, {Name: "documentVar", Kind: fieldText}},
	"goto":      {{Name: "flow", Kind: fieldName, From: "flows"}},
	"subflow":   {{Name: "flow", Kind: fieldName, From: "flows"}},
}

// fieldsOf returns node type name's settings fields with labels in lang.
func fieldsOf(name string, lang i18n.Lang) []fieldSpecJSON {
	specs := nodeFields[name]
	out := make([]fieldSpecJSON, 0, len(specs))
	for _, f := range specs {
		out = append(out, fieldSpecJSON{Name: f.Name, Kind: f.Kind, Label: i18n.T(lang, "designer.field."+f.Name),
			From: f.From, Options: f.Options, Example: f.Example})
	}
	return out
}
