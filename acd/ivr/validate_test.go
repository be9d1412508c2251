package ivr

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"callbox/firmware/i18n"
)

const (
	startTo  = `{"id":"start","type":"start","exits":{"next":"%s"}}`
	hangupN  = `{"id":"end","type":"hangup"}`
	playBye  = `{"id":"bye","type":"play","settings":{"prompts":[{"key":"goodbye"}]},"exits":{"next":"end"}}`
	menuMain = `{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"bye"}}`
)

func start(to string) string { return strings.Replace(startTo, "%s", to, 1) }

func problemSet(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Node+":"+p.Code)
	}
	return out
}

func TestValidate_NamesEveryProblemAtItsNode(t *testing.T) {
	chk := Checks{
		Prompt:  func(lang, key string) bool { return key != "nosuch" && !(lang == "zh" && key == "en-only") },
		Queue:   func(n string) bool { return n == "sales" },
		Hours:   func(n string) bool { return n == "office" },
		Mailbox: func(n string) bool { return n == "201" },
		Flow:    func(n string) bool { return n == "other" },
	}
	cases := []struct {
		name  string
		doc   []byte
		wants []string // "node:code"
	}{
		{"valid", flowDoc(start("menu"), menuMain, playBye, hangupN), nil},
		{"no start", flowDoc(hangupN), []string{":ivr.problem.no-start"}},
		{"two starts", flowDoc(start("end"), `{"id":"s2","type":"start","exits":{"next":"end"}}`, hangupN),
			[]string{"s2:ivr.problem.many-starts", "s2:ivr.problem.unreachable"}},
		{"dangling exit", flowDoc(start("nowhere"), hangupN),
			[]string{"start:ivr.problem.dangling-exit", "end:ivr.problem.unreachable"}},
		{"missing required exit", flowDoc(`{"id":"start","type":"start"}`), []string{"start:ivr.problem.missing-exit"}},
		{"unknown exit", flowDoc(`{"id":"start","type":"start","exits":{"next":"end","later":"end"}}`, hangupN),
			[]string{"start:ivr.problem.unknown-exit"}},
		{"unreachable", flowDoc(start("end"), hangupN, playBye), []string{"bye:ivr.problem.unreachable"}},
		{"duplicate id", flowDoc(start("end"), hangupN, hangupN), []string{"end:ivr.problem.duplicate-id"}},
		{"bad id", flowDoc(start("end"), hangupN, `{"id":"a b","type":"hangup"}`), []string{"#2:ivr.problem.bad-id"}},
		{"unknown type", flowDoc(start("x"), `{"id":"x","type":"teleport"}`), []string{"x:ivr.problem.unknown-type"}},
		{"unknown setting field", flowDoc(start("end"), `{"id":"end","type":"hangup","settings":{"cause":"busy"}}`),
			[]string{"end:ivr.problem.bad-settings"}},
		{"missing prompts", flowDoc(start("p"), `{"id":"p","type":"play","exits":{"next":"end"}}`, hangupN),
			[]string{"p:ivr.problem.missing-setting"}},
		{"unknown prompt in every language", flowDoc(start("p"), `{"id":"p","type":"play","settings":{"prompts":[{"key":"nosuch"}]},"exits":{"next":"end"}}`, hangupN),
			[]string{"p:ivr.problem.unknown-prompt", "p:ivr.problem.unknown-prompt"}},
		{"prompt missing in one language", flowDoc(start("p"), `{"id":"p","type":"play","settings":{"prompts":[{"key":"en-only"}]},"exits":{"next":"end"}}`, hangupN),
			[]string{"p:ivr.problem.unknown-prompt"}},
		{"prompt fixed to the language it exists in", flowDoc(start("p"), `{"id":"p","type":"play","settings":{"prompts":[{"key":"en-only","lang":"en"}]},"exits":{"next":"end"}}`, hangupN), nil},
		{"prompt with key and file", flowDoc(start("p"), `{"id":"p","type":"play","settings":{"prompts":[{"key":"a","file":"b"}]},"exits":{"next":"end"}}`, hangupN),
			[]string{"p:ivr.problem.prompt-one-of"}},
		{"menu without keys", flowDoc(start("m"), `{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"timeout":"end"}}`, hangupN),
			[]string{"m:ivr.problem.no-choices"}},
		{"menu retries out of range", flowDoc(start("m"), `{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"retries":12},"exits":{"1":"end"}}`, hangupN),
			[]string{"m:ivr.problem.out-of-range"}},
		{"collect min above max", flowDoc(start("c"), `{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"acct","min":8,"max":4},"exits":{"next":"end"}}`, hangupN),
			[]string{"c:ivr.problem.min-above-max"}},
		{"collect without variable", flowDoc(start("c"), `{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}]},"exits":{"next":"end"}}`, hangupN),
			[]string{"c:ivr.problem.bad-variable"}},
		{"unknown queue", flowDoc(start("q"), `{"id":"q","type":"queue","settings":{"queue":"billing"}}`),
			[]string{"q:ivr.problem.unknown-queue"}},
		{"queue name missing", flowDoc(start("q"), `{"id":"q","type":"queue"}`), []string{"q:ivr.problem.missing-setting"}},
		{"unknown hours", flowDoc(start("h"), `{"id":"h","type":"branch-hours","settings":{"hours":"night"},"exits":{"open":"end","closed":"end"}}`, hangupN),
			[]string{"h:ivr.problem.unknown-hours"}},
		{"unknown mailbox", flowDoc(start("v"), `{"id":"v","type":"voicemail","settings":{"mailbox":"999"}}`),
			[]string{"v:ivr.problem.unknown-mailbox"}},
		{"unknown flow", flowDoc(start("g"), `{"id":"g","type":"goto","settings":{"flow":"missing"}}`),
			[]string{"g:ivr.problem.unknown-flow"}},
		{"branch rule exit not wired", flowDoc(start("b"), `{"id":"b","type":"branch-ani","settings":{"rules":[{"exit":"vip","op":"prefix","value":"138"}]},"exits":{"default":"end"}}`, hangupN),
			[]string{"b:ivr.problem.missing-exit"}},
		{"branch bad op", flowDoc(start("b"), `{"id":"b","type":"branch-var","settings":{"var":"x","rules":[{"exit":"vip","op":"like"}]},"exits":{"default":"end","vip":"end"}}`, hangupN),
			[]string{"b:ivr.problem.bad-setting"}},
		{"language not spoken", flowDoc(start("l"), `{"id":"l","type":"set-language","settings":{"lang":"fr"},"exits":{"next":"end"}}`, hangupN),
			[]string{"l:ivr.problem.bad-language"}},
		{"lookup bad url", flowDoc(start("k"), `{"id":"k","type":"lookup","settings":{"url":"ftp://x/{{a}}"},"exits":{"ok":"end","error":"end"}}`, hangupN),
			[]string{"k:ivr.problem.bad-setting"}},
		{"lookup bad template var", flowDoc(start("k"), `{"id":"k","type":"lookup","settings":{"url":"http://x/{{a b}}"},"exits":{"ok":"end","error":"end"}}`, hangupN),
			[]string{"k:ivr.problem.bad-variable"}},
		{"transfer two targets", flowDoc(start("x"), `{"id":"x","type":"transfer","settings":{"extension":"201","number":"123"}}`),
			[]string{"x:ivr.problem.transfer-one-of"}},
		{"loop without input", flowDoc(start("a"),
			`{"id":"a","type":"set-var","settings":{"vars":{"n":"1"}},"exits":{"next":"b"}}`,
			`{"id":"b","type":"branch-var","settings":{"var":"n","rules":[{"exit":"again","op":"equals","value":"1"}]},"exits":{"again":"a","default":"end"}}`,
			hangupN), []string{"a:ivr.problem.busy-loop", "b:ivr.problem.busy-loop"}},
		{"self loop", flowDoc(start("p"), `{"id":"p","type":"play","settings":{"prompts":[{"key":"goodbye"}]},"exits":{"next":"p"}}`),
			[]string{"p:ivr.problem.busy-loop"}},
		{"loop through a menu waits", flowDoc(start("menu"),
			`{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"p","timeout":"menu"}}`,
			`{"id":"p","type":"play","settings":{"prompts":[{"key":"thank-you"}]},"exits":{"next":"menu"}}`), nil},
		{"no languages", []byte(`{"format":1,"languages":[],"nodes":[` + start("end") + `,` + hangupN + `]}`), []string{":ivr.problem.no-languages"}},
		{"unsupported language", []byte(`{"format":1,"languages":["fr"],"nodes":[` + start("end") + `,` + hangupN + `]}`), []string{":ivr.problem.bad-language"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Parse(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			got := problemSet(Validate(doc, chk))
			slices.Sort(got)
			want := slices.Clone(c.wants)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %v", got, want)
			}
			_, err = Compile(doc, "f", 1, chk)
			if (err != nil) != (len(want) > 0) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Compile err = %v", err)
			}
		})
	}
}

func TestProblem_MessageIsTranslatedAndNamesTheNode(t *testing.T) {
	if !i18n.Has("ivr.problem.at-field") {
		t.Skip("firmware/i18n does not list ivrMessages in catalogues() yet")
	}
	p := Problem{Node: "menu", Field: "exits.1", Code: "ivr.problem.dangling-exit", Args: []string{"1", "gone"}}
	en, zh := p.Message(i18n.EN), p.Message(i18n.ZH)
	if !strings.Contains(en, "menu") || !strings.Contains(en, "gone") {
		t.Errorf("en %q", en)
	}
	if en == zh || !strings.Contains(zh, "gone") {
		t.Errorf("zh %q", zh)
	}
}

func TestNodeTypes_OneRegistryInPaletteOrder(t *testing.T) {
	types := NodeTypes()
	var names []string
	for _, nt := range types {
		names = append(names, nt.Name)
	}
	want := []string{"start", "play", "menu", "collect", "branch-ani", "branch-dnis", "branch-hours", "branch-var",
		"set-language", "set-var", "lookup", "queue", "transfer", "voicemail", "callback", "fax", "hangup", "goto", "subflow", "return"}
	if !slices.Equal(names, want) {
		t.Fatalf("types %v", names)
	}
	// Callers get a copy: changing it leaves the registry alone.
	types[0].Exits[0].Name = "changed"
	if NodeTypes()[0].Exits[0].Name != "next" {
		t.Fatal("registry shares memory with callers")
	}
}
