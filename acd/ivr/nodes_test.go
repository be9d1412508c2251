package ivr

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd/hours"
)

func officeHours(t testing.TB) func(string) (*hours.Schedule, bool) {
	var week []hours.Range
	for d := time.Monday; d <= time.Friday; d++ {
		week = append(week, hours.Range{Day: d, Start: "09:00", End: "18:00"})
	}
	s, err := hours.New(time.UTC, week, []hours.Holiday{{Name: "national day", From: "10-01", To: "10-07"}})
	if err != nil {
		t.Fatal(err)
	}
	return func(name string) (*hours.Schedule, bool) { return s, name == "office" }
}

func TestNodes_EachTypeTakesTheRightExit(t *testing.T) {
	errBusy := errors.New("busy")
	type tc struct {
		name    string
		nodes   []string
		digits  []string
		fail    map[string]error
		in      Input
		at      time.Time
		path    string // node ids joined by ">"
		actions []string
		played  []string // when set, the prompts played in order
		vars    map[string]string
		lang    string
		end     End
	}
	cases := []tc{
		{name: "play then hang up", nodes: []string{start("bye"), playBye, hangupN},
			path: "start>bye>end", actions: []string{"hangup"}, played: []string{"en/goodbye"}, end: EndHangup},
		{name: "play an uploaded file only for its language", nodes: []string{start("p"),
			`{"id":"p","type":"play","settings":{"prompts":[{"file":"promo-zh","onlyLang":"zh"},{"file":"promo-en","onlyLang":"en"}]},"exits":{"next":"end"}}`, hangupN},
			played: []string{"file:promo-en"}, path: "start>p>end", end: EndHangup},
		{name: "say a number in the caller's language", nodes: []string{start("p"),
			`{"id":"p","type":"play","settings":{"prompts":[{"say":"n","as":"number"}]},"exits":{"next":"end"}}`, hangupN},
			in: Input{Lang: "zh", Vars: map[string]string{"n": "12"}}, played: []string{"zh/num-10", "zh/digit-2"}, path: "start>p>end", lang: "zh", end: EndHangup},
		{name: "menu key", nodes: []string{start("menu"), menuMain, playBye, hangupN}, digits: []string{"1"},
			path: "start>menu>bye>end", end: EndHangup},
		{name: "menu invalid then valid", nodes: []string{start("m"),
			`{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"invalidPrompts":[{"key":"invalid-choice"}]},"exits":{"1":"end"}}`, hangupN},
			digits: []string{"7", "1"}, played: []string{"en/main-menu", "en/invalid-choice", "en/main-menu"}, path: "start>m>end", end: EndHangup},
		{name: "menu timeouts exhaust retries", nodes: []string{start("m"),
			`{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"retries":1},"exits":{"1":"bye","timeout":"end"}}`, playBye, hangupN},
			path: "start>m>end", end: EndHangup},
		{name: "menu invalid falls to the timeout exit when only it is wired", nodes: []string{start("m"),
			`{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"retries":0},"exits":{"1":"bye","timeout":"end"}}`, playBye, hangupN},
			digits: []string{"5"}, path: "start>m>end", end: EndHangup},
		{name: "menu with no failure exit hangs up", nodes: []string{start("m"),
			`{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"retries":0},"exits":{"1":"end"}}`, hangupN},
			path: "start>m", actions: []string{"hangup"}, end: EndHangup},
		{name: "collect into a variable", nodes: []string{start("c"),
			`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"acct","min":4,"max":6},"exits":{"next":"end"}}`, hangupN},
			digits: []string{"12", "1234"}, path: "start>c>end", vars: map[string]string{"acct": "1234"}, end: EndHangup},
		{name: "collect pattern refuses then invalid exit", nodes: []string{start("c"),
			`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"acct","pattern":"_8XXX","retries":1},"exits":{"next":"bye","invalid":"end"}}`, playBye, hangupN},
			digits: []string{"7123", "9000"}, path: "start>c>end", end: EndHangup},
		{name: "collect with confirmation", nodes: []string{start("c"),
			`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"acct","confirmPrompts":[{"key":"thank-you"}]},"exits":{"next":"end"}}`, hangupN},
			digits: []string{"55", "2", "56", "1"}, path: "start>c>end", vars: map[string]string{"acct": "56"}, end: EndHangup},
		{name: "branch on caller number pattern", nodes: []string{start("b"),
			`{"id":"b","type":"branch-ani","settings":{"rules":[{"exit":"mobile","op":"pattern","value":"_1[3-9]XXXXXXXXX"}]},"exits":{"mobile":"bye","default":"end"}}`, playBye, hangupN},
			in: Input{ANI: "13812345678"}, path: "start>b>bye>end", end: EndHangup},
		{name: "branch on dialled number default", nodes: []string{start("b"),
			`{"id":"b","type":"branch-dnis","settings":{"rules":[{"exit":"hotline","op":"in","values":["4008001","4008002"]}]},"exits":{"hotline":"bye","default":"end"}}`, playBye, hangupN},
			in: Input{DNIS: "80081"}, path: "start>b>end", end: EndHangup},
		{name: "branch on a customer field", nodes: []string{start("b"),
			`{"id":"b","type":"branch-var","settings":{"var":"customer.balance","rules":[{"exit":"owes","op":"gt","value":"100"}]},"exits":{"owes":"bye","default":"end"}}`, playBye, hangupN},
			in: Input{Vars: map[string]string{"customer.balance": "250.5"}}, path: "start>b>bye>end", end: EndHangup},
		{name: "hours open", nodes: []string{start("h"),
			`{"id":"h","type":"branch-hours","settings":{"hours":"office"},"exits":{"open":"bye","closed":"end","holiday":"end"}}`, playBye, hangupN},
			at: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), path: "start>h>bye>end", end: EndHangup},
		{name: "hours closed at night", nodes: []string{start("h"),
			`{"id":"h","type":"branch-hours","settings":{"hours":"office"},"exits":{"open":"end","closed":"bye"}}`, playBye, hangupN},
			at: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC), path: "start>h>bye>end", end: EndHangup},
		{name: "hours holiday", nodes: []string{start("h"),
			`{"id":"h","type":"branch-hours","settings":{"hours":"office"},"exits":{"open":"end","closed":"end","holiday":"bye"}}`, playBye, hangupN},
			at: time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC), path: "start>h>bye>end", end: EndHangup},
		{name: "hours unknown is closed", nodes: []string{start("h"),
			`{"id":"h","type":"branch-hours","settings":{"hours":"gone"},"exits":{"open":"end","closed":"bye"}}`, playBye, hangupN},
			path: "start>h>bye>end", end: EndHangup},
		{name: "set language from a variable", nodes: []string{start("l"),
			`{"id":"l","type":"set-language","settings":{"var":"customer.lang"},"exits":{"next":"bye"}}`, playBye, hangupN},
			in: Input{Vars: map[string]string{"customer.lang": "zh"}}, played: []string{"zh/goodbye"}, path: "start>l>bye>end", lang: "zh", end: EndHangup},
		{name: "set language ignores a language the flow does not speak", nodes: []string{start("l"),
			`{"id":"l","type":"set-language","settings":{"var":"x"},"exits":{"next":"end"}}`, hangupN},
			in: Input{Vars: map[string]string{"x": "fr"}}, path: "start>l>end", lang: "en", end: EndHangup},
		{name: "set variables from templates", nodes: []string{start("s"),
			`{"id":"s","type":"set-var","settings":{"vars":{"who":"caller {{ani}} on {{dnis}}","a":"{{b}}","b":"new"}},"exits":{"next":"end"}}`, hangupN},
			in: Input{ANI: "100", DNIS: "200", Vars: map[string]string{"b": "old"}}, path: "start>s>end",
			vars: map[string]string{"who": "caller 100 on 200", "a": "old", "b": "new"}, end: EndHangup},
		{name: "queue carries language, priority and variables", nodes: []string{start("q"),
			`{"id":"q","type":"queue","settings":{"queue":"sales","priority":3,"skills":[{"skill":"zh","minLevel":2}]}}`},
			in: Input{Lang: "zh"}, path: "start>q", actions: []string{"queue sales"}, lang: "zh", end: EndServed},
		{name: "queue failure takes the failed exit", nodes: []string{start("q"),
			`{"id":"q","type":"queue","settings":{"queue":"sales"},"exits":{"failed":"v"}}`,
			`{"id":"v","type":"voicemail","settings":{"mailbox":"201"}}`},
			fail: map[string]error{"queue": errBusy}, path: "start>q>v", actions: []string{"queue sales", "voicemail 201 en"}, end: EndServed},
		{name: "transfer to a collected extension", nodes: []string{start("c"),
			`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-extension"}],"variable":"ext","max":4},"exits":{"next":"x"}}`,
			`{"id":"x","type":"transfer","settings":{"var":"ext"},"exits":{"failed":"end"}}`, hangupN},
			digits: []string{"202"}, path: "start>c>x", actions: []string{"transfer 202"}, end: EndServed},
		{name: "transfer busy takes failed", nodes: []string{start("x"),
			`{"id":"x","type":"transfer","settings":{"number":"+8613800000000"},"exits":{"failed":"end"}}`, hangupN},
			fail: map[string]error{"transfer": errBusy}, path: "start>x>end", actions: []string{"transfer +8613800000000", "hangup"}, end: EndHangup},
		{name: "voicemail full with no failed exit hangs up", nodes: []string{start("v"),
			`{"id":"v","type":"voicemail","settings":{"mailbox":"201"}}`},
			fail: map[string]error{"voicemail": errBusy}, path: "start>v", actions: []string{"voicemail 201 en", "hangup"}, end: EndHangup},
		{name: "callback to the caller's number continues", nodes: []string{start("cb"),
			`{"id":"cb","type":"callback","settings":{"queue":"sales"},"exits":{"next":"bye"}}`, playBye, hangupN},
			in: Input{ANI: "13900001111"}, path: "start>cb>bye>end", actions: []string{"callback sales 13900001111", "hangup"}, end: EndHangup},
		{name: "callback without a number fails", nodes: []string{start("cb"),
			`{"id":"cb","type":"callback","settings":{"queue":"sales"},"exits":{"next":"end","failed":"bye"}}`, playBye, hangupN},
			in: Input{ANI: "anonymous"}, path: "start>cb>bye>end", end: EndHangup},
		{name: "fax on demand by digits", nodes: []string{start("c"),
			`{"id":"c","type":"collect","settings":{"prompts":[{"key":"fax-enter-document"}],"variable":"doc"},"exits":{"next":"f"}}`,
			`{"id":"f","type":"fax","settings":{"documentVar":"doc"},"exits":{"failed":"end"}}`, hangupN},
			digits: []string{"42"}, path: "start>c>f", actions: []string{"fax 42"}, end: EndServed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustCompile(t, flowDoc(c.nodes...), 1)
			call := newFakeCall(c.digits...)
			if c.fail != nil {
				call.fail = c.fail
			}
			at := c.at
			if at.IsZero() {
				at = testNow
			}
			e := NewEngine(WithClock(func() time.Time { return at }), WithHours(officeHours(t)))
			res, err := e.Run(context.Background(), f, call, c.in)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := strings.Join(res.Path(), ">"); got != c.path {
				t.Errorf("path %s, want %s", got, c.path)
			}
			if c.actions != nil && !slices.Equal(call.actions, c.actions) {
				t.Errorf("actions %q, want %q", call.actions, c.actions)
			}
			if c.played != nil && !slices.Equal(call.played, c.played) {
				t.Errorf("played %q, want %q", call.played, c.played)
			}
			for k, v := range c.vars {
				if res.Vars[k] != v {
					t.Errorf("var %s = %q, want %q", k, res.Vars[k], v)
				}
			}
			if c.lang != "" && res.Lang != c.lang {
				t.Errorf("lang %s, want %s", res.Lang, c.lang)
			}
			if res.End != c.end {
				t.Errorf("end %s, want %s", res.End, c.end)
			}
		})
	}
}

func TestQueueNode_HandsTheCallerContextToTheQueue(t *testing.T) {
	f := mustCompile(t, flowDoc(start("q"),
		`{"id":"q","type":"queue","settings":{"queue":"sales","priority":3,"skills":[{"skill":"zh","minLevel":2}]}}`), 1)
	call := newFakeCall()
	_, err := NewEngine().Run(context.Background(), f, call, Input{Lang: "zh", Vars: map[string]string{"order": "42"}})
	if err != nil {
		t.Fatal(err)
	}
	q := call.queued[0]
	if q.Priority != 3 || q.Lang != "zh" || q.Vars["order"] != "42" || len(q.Skills) != 1 || q.Skills[0] != (Skill{"zh", 2}) {
		t.Fatalf("request %+v", q)
	}
}

func TestMenu_AsksWithBargeInAndOneDigit(t *testing.T) {
	f := mustCompile(t, flowDoc(start("menu"), menuMain, playBye, hangupN), 1)
	call := newFakeCall("1")
	if _, err := NewEngine().Run(context.Background(), f, call, Input{}); err != nil {
		t.Fatal(err)
	}
	r := call.requests[0]
	if !r.BargeIn || r.Max != 1 || r.Min != 1 || r.FirstTimeout != defaultTimeout {
		t.Fatalf("request %+v", r)
	}
}

func TestCollect_TerminatorAndTimeoutsReachTheCall(t *testing.T) {
	f := mustCompile(t, flowDoc(start("c"),
		`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"a","max":8,"terminator":"*","timeoutMs":7000,"interDigitMs":2000,"bargeIn":false},"exits":{"next":"end"}}`, hangupN), 1)
	call := newFakeCall("1")
	if _, err := NewEngine().Run(context.Background(), f, call, Input{}); err != nil {
		t.Fatal(err)
	}
	r := call.requests[0]
	if r.Terminator != '*' || r.Max != 8 || r.FirstTimeout != 7*time.Second || r.InterDigitTimeout != 2*time.Second || r.BargeIn {
		t.Fatalf("request %+v", r)
	}
}

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		p, v string
		ok   bool
	}{
		{"_1[3-9]XXXXXXXXX", "13812345678", true},
		{"_1[3-9]XXXXXXXXX", "12812345678", false},
		{"_NXX", "201", true},
		{"_NXX", "101", false},
		{"_Z.", "9", false},
		{"_Z.", "95", true},
		{"_400!", "400", true},
		{"_400!", "4008001", true},
		{"_[13579]", "5", true},
		{"_[13579]", "4", false},
		{"8001", "8001", true},
		{"8001", "80011", false},
		{"_X", "", false},
	}
	for _, c := range cases {
		if got := matchPattern(c.p, c.v); got != c.ok {
			t.Errorf("matchPattern(%q, %q) = %v", c.p, c.v, got)
		}
	}
}
