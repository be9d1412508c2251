package webui

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// sampleValue is a value of the JSON shape a field kind writes.
func sampleValue(f fieldSpec) any {
	switch f.Kind {
	case fieldNumber:
		return 1
	case fieldBool:
		return true
	case fieldSelect:
		return f.Options[len(f.Options)-1]
	case fieldPrompts:
		return []map[string]string{{"key": "welcome"}}
	case fieldJSON:
		var v any
		if err := json.Unmarshal([]byte(f.Example), &v); err != nil {
			panic(f.Name + ": bad example: " + err.Error())
		}
		return v
	}
	return "x"
}

// The side panel writes settings the node types decode: a renamed or
// removed setting in acd/ivr shows up here as "cannot read settings".
func TestDesigner_EveryFieldIsASettingOfItsNodeType(t *testing.T) {
	known := map[string]bool{}
	for _, nt := range ivr.NodeTypes() {
		known[nt.Name] = true
		specs := nodeFields[nt.Name]
		settings := map[string]any{}
		for _, f := range specs {
			settings[f.Name] = sampleValue(f)
		}
		raw, err := json.Marshal(settings)
		if err != nil {
			t.Fatal(err)
		}
		doc := &ivr.Document{Format: ivr.Format, Languages: []string{"en"}, Nodes: []ivr.Node{
			{ID: "s", Type: "start", Exits: map[string]string{"next": "n"}},
			{ID: "n", Type: nt.Name, Settings: raw},
		}}
		for _, p := range ivr.Validate(doc, ivr.Checks{}) {
			if p.Node == "n" && (p.Code == "ivr.problem.bad-settings" || p.Code == "ivr.problem.unknown-type") {
				t.Errorf("%s: %s", nt.Name, p.Message(i18n.EN))
			}
		}
	}
	for name := range nodeFields {
		if !known[name] {
			t.Errorf("fields for %q, which is no node type", name)
		}
	}
}

func TestDesigner_SchemaNamesEveryNodeTypeFieldAndExitInBothLanguages(t *testing.T) {
	f := reportsFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	for _, lang := range i18n.Langs {
		b.cookies[langCookie] = string(lang)
		r := b.get("/designer/schema.json")
		wantStatus(t, r, http.StatusOK)
		s := decode[designerSchemaJSON](t, r)
		if len(s.Types) != len(ivr.NodeTypes()) {
			t.Fatalf("%d types in the schema", len(s.Types))
		}
		// The box has no fax line: the fax node is known but not offered.
		for _, ty := range s.Types {
			if ty.Hidden != (ty.Name == "fax") {
				t.Errorf("%s: hidden %v without a fax line", ty.Name, ty.Hidden)
			}
		}
		for _, ty := range s.Types {
			if strings.HasPrefix(ty.Label, "designer.") || strings.HasPrefix(ty.Help, "designer.") {
				t.Errorf("%s: no label or help for %s", lang, ty.Name)
			}
			for _, fl := range ty.Fields {
				if strings.HasPrefix(fl.Label, "designer.") {
					t.Errorf("%s: no label for field %s.%s", lang, ty.Name, fl.Name)
				}
			}
			for _, e := range ty.Exits {
				if s.Exits[e.Name] == "" {
					t.Errorf("%s: no label for exit %s", lang, e.Name)
				}
			}
		}
		for k, v := range s.Text {
			if strings.HasPrefix(v, "designer.") {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
		if len(s.Names["queues"]) != 1 || s.Names["queues"][0] != "sales" || len(s.Names["prompts"]) == 0 {
			t.Errorf("names: %v", s.Names)
		}
	}
	// With a modem line the fax node is offered too.
	put(t, f.st, store.Line{ID: "gsm1", Name: "GSM", Type: store.LineGSM, Device: "/dev/ttyUSB0", Enabled: true})
	for _, ty := range decode[designerSchemaJSON](t, b.get("/designer/schema.json")).Types {
		if ty.Hidden {
			t.Errorf("%s hidden with a fax line", ty.Name)
		}
	}
}

func TestDesigner_OpenRefusesABadFlowID(t *testing.T) {
	f := reportsFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/designer/open?id=" + "a.v1")
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "designer.bad-id")) {
		t.Fatal("no message next to the id")
	}
	wantRedirect(t, b.get("/designer/open?id=sales-2"), "/designer/flow/sales-2")
	wantStatus(t, b.get("/designer/flow/a.draft"), http.StatusNotFound)
	r = b.get("/designer/flow/sales-2")
	wantStatus(t, r, http.StatusOK)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("editor policy %q", csp)
	}
}
