package ivr

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestParse_RefusesABadFileWithLineAndReason(t *testing.T) {
	cases := []struct {
		name string
		data string
		line int
		code string
	}{
		{"syntax", "{\n  \"format\": 1,\n  \"nodes\": [\n    {\"id\": \"a\",, }\n  ]\n}", 4, "ivr.import.syntax"},
		{"wrong type", "{\n  \"format\": 1,\n  \"languages\": \"en\"\n}", 3, "ivr.import.type"},
		{"unknown field", "{\n  \"format\": 1,\n  \"langs\": [\"en\"]\n}", 3, "ivr.import.other"},
		{"truncated", "{\n  \"format\": 1,\n  \"nodes\": [", 3, "ivr.import.truncated"},
		{"empty", "", 0, "ivr.import.empty"},
		{"trailing", "{\"format\":1}\n{}", 2, "ivr.import.trailing"},
		{"future format", `{"format":2}`, 0, "ivr.import.format"},
		{"settings not an object", `{"format":1,"nodes":[{"id":"a","type":"play","settings":[1]}]}`, 0, "ivr.import.settings-object"},
		{"too large", `{"format":1,"name":"` + strings.Repeat("x", MaxDocument) + `"}`, 0, "ivr.import.too-large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.data))
			var ie *ImportError
			if !errors.Is(err, ErrImport) || !errors.As(err, &ie) {
				t.Fatalf("err %v", err)
			}
			if ie.Line != c.line || ie.Code != c.code {
				t.Fatalf("line %d code %s (%v), want line %d code %s", ie.Line, ie.Code, err, c.line, c.code)
			}
		})
	}
}

func TestDocument_ExportImportRoundTrip(t *testing.T) {
	doc, err := Parse(DemoFlow("http://127.0.0.1:1/orders"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Nodes) != len(doc.Nodes) || again.Nodes[1].Position != doc.Nodes[1].Position ||
		again.Nodes[1].Exits["1"] != "to-en" || again.Name != doc.Name {
		t.Fatal("round trip lost data")
	}
}

func TestCompile_FlowDoesNotShareTheEditorsDocument(t *testing.T) {
	doc, err := Parse(flowDoc(start("menu"), menuMain, playBye, hangupN))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(doc, "x", 1, Checks{})
	if err != nil {
		t.Fatal(err)
	}
	doc.Nodes[1].Exits["1"] = "end" // the designer keeps editing
	res, err := NewEngine().Run(context.Background(), f, newFakeCall("1"), Input{})
	if err != nil || strings.Join(res.Path(), ">") != "start>menu>bye>end" {
		t.Fatalf("path %v err %v", res.Path(), err)
	}
}

// FuzzParse feeds arbitrary bytes through import, validation, compiling
// and a dry run: nothing may panic, and a refusal is always ErrImport or
// ErrInvalid.
func FuzzParse(f *testing.F) {
	f.Add(DemoFlow("http://127.0.0.1:1/orders"))
	f.Add(flowDoc(start("menu"), menuMain, playBye, hangupN))
	f.Add(flowDoc(start("a"), `{"id":"a","type":"branch-var","settings":{"var":"x","rules":[{"exit":"b","op":"pattern","value":"_[1-"}]},"exits":{"b":"a","default":"a"}}`))
	f.Add([]byte(`{"format":1,"languages":["en"],"nodes":[{"id":"s","type":"start","settings":{},"exits":{"next":"s"}}]}`))
	f.Add([]byte(`{"format":1,"nodes":[{"id":"a","type":"collect","settings":{"min":-1,"max":99999,"terminator":""}}]}`))
	f.Add([]byte("{\"format\":1,\n\"nodes\":[{]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrImport) {
				t.Fatalf("unmarked error %v", err)
			}
			return
		}
		_ = Validate(doc, Checks{Prompt: func(string, string) bool { return true }})
		fl, err := Compile(doc, "f", 1, Checks{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unmarked error %v", err)
			}
			return
		}
		// The lookup URL of a fuzzed flow must not reach the network.
		e := NewEngine(WithMaxSteps(50), WithHTTP(refuseHTTP{}), WithLogger(slog.New(slog.DiscardHandler)))
		if _, err := e.DryRun(context.Background(), fl, DryRun{Digits: []string{"1", "", "1234", "#"}}); err != nil &&
			!errors.Is(err, ErrStepLimit) && !strings.HasPrefix(err.Error(), "ivr: node") {
			t.Fatalf("dry run: %v", err)
		}
	})
}
