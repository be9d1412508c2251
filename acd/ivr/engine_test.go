package ivr

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"callbox/firmware/store"
)

func TestEngine_RunningCallKeepsItsVersionWhenANewOneIsPublished(t *testing.T) {
	v1 := flowDoc(start("menu"),
		`{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"old"}}`,
		`{"id":"old","type":"queue","settings":{"queue":"sales"}}`)
	v2 := flowDoc(start("menu"),
		`{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"new"}}`,
		`{"id":"new","type":"queue","settings":{"queue":"support"}}`)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rec := store.Flow{ID: "main", Name: "Main", Version: 1, Doc: json.RawMessage(v1)}
	rec, f1, err := Publish(rec, Checks{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 2 || !rec.Published || !rec.UpdatedAt.Equal(now) {
		t.Fatalf("published record %+v", rec)
	}
	if err := rec.Validate(); err != nil {
		t.Fatalf("store refuses the published record: %v", err)
	}
	cat := NewCatalog()
	cat.Put(f1)

	e := NewEngine()
	first, _ := cat.Get("main")
	call := newFakeCall("1")
	call.gate = make(chan struct{})
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := e.Run(context.Background(), first, call, Input{CallID: "c1"})
		done <- outcome{res, err}
	}()

	// Publish the edit while the first call waits in the menu.
	rec.Doc = json.RawMessage(v2)
	rec, f2, err := Publish(rec, Checks{}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !cat.Put(f2) || rec.Version != 3 {
		t.Fatalf("publish v%d not taken", rec.Version)
	}
	second, _ := cat.Get("main")
	res2, err := e.Run(context.Background(), second, newFakeCall("1"), Input{CallID: "c2"})
	if err != nil {
		t.Fatal(err)
	}

	close(call.gate) // the first caller presses 1 now
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if p := strings.Join(o.res.Path(), ">"); p != "start>menu>old" || o.res.Steps[2].Version != 2 {
		t.Errorf("running call: path %s, version %d", p, o.res.Steps[2].Version)
	}
	if p := strings.Join(res2.Path(), ">"); p != "start>menu>new" || res2.Steps[0].Version != 3 {
		t.Errorf("new call: path %s, version %d", p, res2.Steps[0].Version)
	}
	// A late change-feed event with the older version does not roll back.
	if cat.Put(f1) {
		t.Error("catalog took an older version")
	}
}

func TestEngine_HangupDuringInputEndsTheRun(t *testing.T) {
	f := mustCompile(t, flowDoc(start("menu"), menuMain, playBye, hangupN), 1)
	call := newFakeCall("1")
	call.gate = make(chan struct{}) // never opened: the caller never presses
	ctx, cancel := context.WithCancel(context.Background())
	var steps []string
	done := make(chan error, 1)
	go func() {
		res, err := NewEngine().Run(ctx, f, call, Input{OnStep: func(s Step) { steps = append(steps, s.Node) }})
		if res.End != EndCaller {
			err = errors.Join(err, errors.New("end is "+string(res.End)))
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(call.actions) != 0 {
		t.Fatalf("acted after hang-up: %v", call.actions)
	}
}

func TestEngine_StepLimitStopsAnEndlessMenuLoop(t *testing.T) {
	// A valid flow: the menu waits, but a caller (or a stuck DTMF
	// detector) could press 1 for ever.
	f := mustCompile(t, flowDoc(start("menu"),
		`{"id":"menu","type":"menu","settings":{"prompts":[{"key":"main-menu"}]},"exits":{"1":"p"}}`,
		`{"id":"p","type":"play","settings":{"prompts":[{"key":"thank-you"}]},"exits":{"next":"menu"}}`), 1)
	digits := make([]string, 100)
	for i := range digits {
		digits[i] = "1"
	}
	res, err := NewEngine(WithMaxSteps(20)).Run(context.Background(), f, newFakeCall(digits...), Input{})
	if !errors.Is(err, ErrStepLimit) || res.End != EndStepLimit || len(res.Steps) != 20 {
		t.Fatalf("err %v end %s steps %d", err, res.End, len(res.Steps))
	}
}

func TestEngine_StepLogHasTimesDigitsAndPrompts(t *testing.T) {
	f := mustCompile(t, flowDoc(start("menu"), menuMain, playBye, hangupN), 4)
	var seen []Step
	res, err := NewEngine(WithClock(fixedClock)).Run(context.Background(), f, newFakeCall("1"),
		Input{Lang: "zh", OnStep: func(s Step) { seen = append(seen, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(res.Steps) {
		t.Fatalf("OnStep saw %d of %d steps", len(seen), len(res.Steps))
	}
	m := res.Steps[1]
	if m.Node != "menu" || m.Type != "menu" || m.Exit != "1" || m.Digits != "1" || !m.At.Equal(testNow) ||
		m.Version != 4 || m.Flow != "test" || len(m.Prompts) != 1 || m.Prompts[0] != "zh/main-menu" {
		t.Fatalf("menu step %+v", m)
	}
	if d := res.Digits(); len(d) != 1 || d[0].Node != "menu" {
		t.Fatalf("digits %+v", d)
	}
}

func TestEngine_GotoContinuesInTheOtherFlowsPublishedVersion(t *testing.T) {
	cat := NewCatalog()
	other := mustCompile(t, flowDoc(start("q"), `{"id":"q","type":"queue","settings":{"queue":"support"}}`), 7)
	other.id = "other"
	cat.Put(other)
	f := mustCompile(t, flowDoc(start("g"), `{"id":"g","type":"goto","settings":{"flow":"other"}}`), 1)
	call := newFakeCall()
	res, err := NewEngine(WithFlows(cat.Get)).Run(context.Background(), f, call, Input{})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Steps[len(res.Steps)-1]
	if last.Flow != "other" || last.Version != 7 || last.Node != "q" || res.End != EndServed {
		t.Fatalf("steps %+v end %s", res.Steps, res.End)
	}
	// A goto to a flow that is gone hangs up instead of stranding the call.
	call = newFakeCall()
	res, err = NewEngine().Run(context.Background(), f, call, Input{})
	if err != nil || res.End != EndHangup || call.actions[0] != "hangup" {
		t.Fatalf("end %s err %v actions %v", res.End, err, call.actions)
	}
}

func TestPublish_RefusesAnInvalidFlowAndKeepsTheVersion(t *testing.T) {
	rec := store.Flow{ID: "main", Name: "Main", Version: 3, Published: true, Doc: json.RawMessage(flowDoc(start("nowhere")))}
	out, f, err := Publish(rec, Checks{}, testNow)
	var ps Problems
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &ps) || f != nil || len(ps) == 0 {
		t.Fatalf("err %v", err)
	}
	if out.Version != 3 {
		t.Fatalf("version moved to %d on a refused publish", out.Version)
	}
	if _, err := Load(store.Flow{ID: "d", Version: 1, Doc: rec.Doc}); !errors.Is(err, ErrDraft) {
		t.Fatalf("Load draft err %v", err)
	}
	good := store.Flow{ID: "g", Version: 5, Published: true, Doc: json.RawMessage(flowDoc(start("q"), `{"id":"q","type":"queue","settings":{"queue":"deleted-since"}}`))}
	lf, err := Load(good)
	if err != nil || lf.Version() != 5 || lf.ID() != "g" {
		t.Fatalf("Load: %v", err)
	}
}

func TestEngine_OneFlowServesManyCallsAtOnce(t *testing.T) {
	f := mustCompile(t, flowDoc(start("c"),
		`{"id":"c","type":"collect","settings":{"prompts":[{"key":"enter-account"}],"variable":"acct","max":6},"exits":{"next":"m"}}`,
		`{"id":"m","type":"menu","settings":{"prompts":[{"key":"main-menu"}],"invalidPrompts":[{"key":"invalid-choice"}]},"exits":{"1":"q","2":"end"}}`,
		`{"id":"q","type":"queue","settings":{"queue":"sales"}}`, hangupN), 1)
	e := NewEngine()
	const calls = 16
	errs := make(chan error, calls)
	for i := range calls {
		go func() {
			digits := []string{strings.Repeat("1", i%6+1), "9", []string{"1", "2"}[i%2]}
			res, err := e.Run(context.Background(), f, newFakeCall(digits...), Input{})
			switch {
			case err != nil:
				errs <- err
			case res.Vars["acct"] != digits[0]:
				errs <- errors.New("variables leaked between calls: " + res.Vars["acct"])
			default:
				errs <- nil
			}
		}()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestEngine_SubflowReturnsToTheCallingNode(t *testing.T) {
	cat := NewCatalog()
	greet := mustCompile(t, flowDoc(start("p"),
		`{"id":"p","type":"play","settings":{"prompts":[{"key":"welcome"}]},"exits":{"next":"r"}}`,
		`{"id":"r","type":"return"}`), 2)
	greet.id = "greet"
	cat.Put(greet)
	main := mustCompile(t, flowDoc(start("sub"),
		`{"id":"sub","type":"subflow","settings":{"flow":"greet"},"exits":{"next":"q"}}`,
		`{"id":"q","type":"queue","settings":{"queue":"sales"}}`), 1)
	call := newFakeCall()
	res, err := NewEngine(WithFlows(cat.Get)).Run(context.Background(), main, call, Input{})
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, s := range res.Steps {
		where = append(where, s.Flow+"/"+s.Node)
	}
	if got := strings.Join(where, " "); got != "test/start test/sub greet/start greet/p greet/r test/q" {
		t.Fatalf("steps %s", got)
	}
	if res.End != EndServed || call.actions[0] != "queue sales" {
		t.Fatalf("end %s actions %v", res.End, call.actions)
	}
	// Run on its own, the subflow's return hangs up.
	call = newFakeCall()
	res, err = NewEngine().Run(context.Background(), greet, call, Input{})
	if err != nil || res.End != EndHangup || call.actions[0] != "hangup" {
		t.Fatalf("end %s err %v actions %v", res.End, err, call.actions)
	}
}

func TestEngine_SubflowsCallingEachOtherFailAtTheDepthLimit(t *testing.T) {
	cat := NewCatalog()
	loop := mustCompile(t, flowDoc(start("sub"),
		`{"id":"sub","type":"subflow","settings":{"flow":"test"},"exits":{"next":"end","failed":"q"}}`,
		`{"id":"q","type":"queue","settings":{"queue":"support"}}`, hangupN), 1)
	cat.Put(loop)
	call := newFakeCall()
	res, err := NewEngine(WithFlows(cat.Get)).Run(context.Background(), loop, call, Input{})
	if err != nil || res.End != EndServed || call.actions[0] != "queue support" {
		t.Fatalf("end %s err %v actions %v", res.End, err, call.actions)
	}
	// A subflow that is not published takes the failed exit too.
	call = newFakeCall()
	if res, err := NewEngine().Run(context.Background(), loop, call, Input{}); err != nil || res.End != EndServed {
		t.Fatalf("end %s err %v", res.End, err)
	}
}
