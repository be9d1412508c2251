package store

import "testing"

// validCTIRecords are valid records of the CTI's kinds, for the table of
// every kind in records_test.go.
func validCTIRecords() []Record {
	return []Record{
		Webhook{ID: "crm", URL: "https://crm.example.com/hook", Events: []string{"call.offered"}, Secret: "0123456789abcdef", Enabled: true},
		APIToken{ID: "t1", Name: "CRM", Role: RoleSupervisor, Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", CreatedAt: t0},
		validScript(),
		ScriptAnswers{CallID: "call-1", Queue: "sales", Agent: "11", Number: "+8613800138000", At: t0,
			Answers: []ScriptAnswer{{Node: "q1", Question: "Which product?", Value: "tv"}}},
		DirectoryConfig{ID: DirectoryConfigKey, Sources: []DataSource{{Type: "builtin"},
			{Type: "http", Name: "crm", URL: "http://127.0.0.1:9/lookup?n={number}", Fields: map[string]string{"level": "customer.level"}, TimeoutMS: 500}}},
	}
}

func validScript() Script {
	return Script{Queue: "sales", Title: "Sales", Start: "q1", Nodes: []ScriptNode{
		{ID: "q1", Type: ScriptChoice, Text: "Which product?", Choices: []ScriptNodeChoice{
			{Value: "tv", Label: "TV", Next: "q2"}, {Value: "radio", Label: "Radio", Next: "bye"}}},
		{ID: "q2", Type: ScriptText, Text: "Screen size?", Next: "bye"},
		{ID: "bye", Type: ScriptEnd, Text: "Thank you"},
	}}
}

func TestScript_RefusesLoopsUnknownStepsAndEmptyChoices(t *testing.T) {
	loop := validScript()
	loop.Nodes[1].Next = "q1"
	bad := validScript()
	bad.Start = "nope"
	bad.Nodes[0].Choices = append(bad.Nodes[0].Choices, ScriptNodeChoice{Value: "tv", Label: "again", Next: "missing"})
	bad.Nodes[2].Choices = nil
	empty := validScript()
	empty.Nodes[0].Choices = nil
	cases := []invalid{
		{loop, map[string]string{"nodes": codeCycle}},
		{bad, map[string]string{"start": codeStartNode, "nodes[0].choices[2].next": codeNextUnknown, "nodes[0].choices[2]": codeDuplicate}},
		{empty, map[string]string{"nodes[0].choices": codeChoices}},
		{Webhook{ID: "w", URL: "ftp://x", Secret: "short", Events: []string{"Call!"}}, map[string]string{"url": codeURL, "secret": codeSecretShort, "events[0]": codeName}},
		{APIToken{ID: "t", Name: "n", Role: "root", Hash: "xyz", CreatedAt: t0, ExpiresAt: t0}, map[string]string{"role": codeOneOf, "hash": codeSHA256, "expiresAt": codeTimeOrder}},
		{DirectoryConfig{ID: "x", Sources: []DataSource{{Type: "builtin"}, {Type: "builtin"}, {Type: "sql", Driver: "oracle"}}},
			map[string]string{"id": codeOneOf, "sources[1].type": codeDuplicate, "sources[2].driver": codeOneOf, "sources[2].dsn": codeRequired}},
	}
	for _, c := range cases {
		err := c.r.Validate()
		ve, ok := err.(*ValidationError)
		if !ok {
			t.Errorf("%s %q: got %v, want a ValidationError", c.r.Kind(), c.r.Key(), err)
			continue
		}
		for field, code := range c.want {
			if !ve.Has(field, code) {
				t.Errorf("%s %q: no %s on %s in %v", c.r.Kind(), c.r.Key(), code, field, ve.Fields)
			}
		}
	}
}

func TestScript_RoundTripsThroughTheStore(t *testing.T) {
	s := openTemp(t)
	if _, err := Put(s, validScript()); err != nil {
		t.Fatal(err)
	}
	got, err := Get[Script](s, "sales")
	if err != nil || len(got.Nodes) != 3 || got.Nodes[0].Choices[1].Next != "bye" {
		t.Fatalf("Get: %+v %v", got, err)
	}
}
