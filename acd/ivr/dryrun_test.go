package ivr

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd/hours"
)

func demoEngine(t *testing.T, ordersURL string) (*Engine, *Flow, *time.Location) {
	t.Helper()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := hours.FromStore(DemoHours(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), sh)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(DemoFlow(ordersURL))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(doc, DemoFlowID, 1, demoChecks())
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(WithHours(func(name string) (*hours.Schedule, bool) { return sched, name == DemoHoursName }))
	return e, f, sh
}

func TestDryRun_DemoFlow(t *testing.T) {
	stub := httptest.NewServer(DemoOrders())
	defer stub.Close()
	e, f, sh := demoEngine(t, stub.URL+"/demo/orders")
	weekday := time.Date(2026, 11, 25, 10, 0, 0, 0, sh) // Wednesday morning
	cases := []struct {
		name    string
		in      DryRun
		path    string
		actions []string
		lang    string
		vars    map[string]string
		prompts []string // must appear, in order, among the prompts played
		end     End
	}{
		{name: "English caller to sales",
			in:   DryRun{ANI: "13800001111", DNIS: "80081", At: weekday, Digits: []string{"1", "1"}},
			path: "start>language>to-en>hours>main>sales", actions: []string{"queue sales"}, lang: "en",
			prompts: []string{"zh/welcome", "en/language-choice", "zh/language-choice", "en/main-menu"}, end: EndServed},
		{name: "Chinese caller to support",
			in:   DryRun{ANI: "13800001111", DNIS: "80081", At: weekday, Digits: []string{"2", "2"}},
			path: "start>language>to-zh>hours>main>support", actions: []string{"queue support"}, lang: "zh", end: EndServed},
		{name: "silence picks Chinese and then support",
			in:   DryRun{At: weekday, Digits: []string{"", "", "", "", ""}},
			path: "start>language>to-zh>hours>main>support", actions: []string{"queue support"}, lang: "zh", end: EndServed},
		{name: "order shipped reads the days and returns to the menu",
			in:      DryRun{At: weekday, Digits: []string{"1", "3", "12344", "2"}},
			path:    "start>language>to-en>hours>main>order>order-lookup>order-status>order-shipped>main>support",
			actions: []string{"queue support"}, vars: map[string]string{"order": "12344", "order.status": "shipped", "order.days": "4"},
			prompts: []string{"en/enter-account", "en/thank-you", "en/digit-4", "en/main-menu"}, end: EndServed},
		{name: "order in progress goes to an agent",
			in:   DryRun{At: weekday, Digits: []string{"2", "3", "12345"}},
			path: "start>language>to-zh>hours>main>order>order-lookup>order-status>support",
			vars: map[string]string{"order.status": "processing"}, end: EndServed},
		{name: "unknown order: the lookup error branch",
			in:   DryRun{At: weekday, Digits: []string{"1", "3", "01234"}},
			path: "start>language>to-en>hours>main>order>order-lookup>lookup-failed>support", end: EndServed},
		{name: "after hours to voicemail",
			in:   DryRun{At: time.Date(2026, 11, 25, 20, 0, 0, 0, sh), Digits: []string{"1"}},
			path: "start>language>to-en>hours>closed>voicemail", actions: []string{"voicemail 201"},
			prompts: []string{"en/office-closed", "en/office-hours"}, end: EndServed},
		{name: "Sunday is closed",
			in:   DryRun{At: time.Date(2026, 11, 29, 11, 0, 0, 0, sh), Digits: []string{"2"}},
			path: "start>language>to-zh>hours>closed>voicemail", end: EndServed},
		{name: "national day to voicemail",
			in:   DryRun{At: time.Date(2026, 10, 2, 10, 0, 0, 0, sh), Digits: []string{"2"}},
			path: "start>language>to-zh>hours>holiday>voicemail", actions: []string{"voicemail 201"}, end: EndServed},
		{name: "queue failure leaves a message",
			in:   DryRun{At: weekday, Digits: []string{"1", "1"}, Fail: []string{"queue"}},
			path: "start>language>to-en>hours>main>sales>voicemail", actions: []string{"queue sales", "voicemail 201"}, end: EndServed},
		{name: "three wrong keys say goodbye",
			in:   DryRun{At: weekday, Digits: []string{"1", "7", "8", "0"}},
			path: "start>language>to-en>hours>main>goodbye>hangup", actions: []string{"hangup"},
			prompts: []string{"en/invalid-choice", "en/goodbye"}, end: EndHangup},
		{name: "the caller stops pressing mid-flow",
			in:   DryRun{At: weekday, Digits: []string{"1", "3"}},
			path: "start>language>to-en>hours>main>order", end: EndCaller},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.DryRun(context.Background(), f, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Join(res.Path(), ">"); p != c.path {
				t.Fatalf("path %s, want %s (steps %+v)", p, c.path, res.Steps)
			}
			if c.actions != nil && !slices.Equal(res.Actions, c.actions) {
				t.Errorf("actions %q, want %q", res.Actions, c.actions)
			}
			if c.lang != "" && res.Lang != c.lang {
				t.Errorf("lang %s, want %s", res.Lang, c.lang)
			}
			for k, v := range c.vars {
				if res.Vars[k] != v {
					t.Errorf("%s = %q, want %q", k, res.Vars[k], v)
				}
			}
			var played []string
			for _, s := range res.Steps {
				played = append(played, s.Prompts...)
				if !s.At.Equal(c.in.At) {
					t.Errorf("step %s at %v, want the dry run's time", s.Node, s.At)
				}
			}
			if !inOrder(played, c.prompts) {
				t.Errorf("played %q, want in order %q", played, c.prompts)
			}
			if res.End != c.end {
				t.Errorf("end %s, want %s (%s)", res.End, c.end, res.Error)
			}
		})
	}
}

func inOrder(have, want []string) bool {
	i := 0
	for _, h := range have {
		if i < len(want) && h == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestDryRun_DemoOrderServiceDownFailsSafe(t *testing.T) {
	stub := httptest.NewServer(DemoOrders())
	url := stub.URL
	stub.Close()
	e, f, sh := demoEngine(t, url+"/orders")
	res, err := e.DryRun(context.Background(), f, DryRun{At: time.Date(2026, 11, 25, 10, 0, 0, 0, sh), Digits: []string{"1", "3", "12344"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(res.Path(), ">"); !strings.HasSuffix(p, "order-lookup>lookup-failed>support") {
		t.Fatalf("path %s", p)
	}
}

func TestDryRun_RefusesAnOversizedScript(t *testing.T) {
	f := mustCompile(t, flowDoc(start("end"), hangupN), 1)
	if _, err := NewEngine().DryRun(context.Background(), f, DryRun{Digits: make([]string, MaxScript+1)}); err == nil {
		t.Fatal("accepted")
	}
	res, err := NewEngine().DryRun(context.Background(), f, DryRun{Digits: []string{"1"}})
	if err != nil || res.Unused != 1 || !slices.Equal(res.Actions, []string{"hangup"}) {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestDryRun_ReportsTheStepLimitAsAResult(t *testing.T) {
	f := mustCompile(t, flowDoc(start("menu"),
		`{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"menu"}}`), 1)
	res, err := NewEngine(WithMaxSteps(10)).DryRun(context.Background(), f, DryRun{Digits: slices.Repeat([]string{"1"}, 20)})
	if err != nil || res.End != EndStepLimit || !strings.Contains(res.Error, "step limit") {
		t.Fatalf("res %+v err %v", res, err)
	}
	if errors.Is(err, ErrScriptEnd) {
		t.Fatal("script end")
	}
}
