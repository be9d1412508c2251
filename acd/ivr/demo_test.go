package ivr

import (
	"testing"

	"callbox/media/prompt"
)

func demoChecks() Checks {
	lib := prompt.NewLibrary("")
	known := func(names ...string) func(string) bool {
		return func(s string) bool {
			for _, n := range names {
				if n == s {
					return true
				}
			}
			return false
		}
	}
	return Checks{Prompt: lib.Has, Queue: known("sales", "support"), Hours: known(DemoHoursName),
		Mailbox: known("201"), Flow: known(DemoFlowID)}
}

func TestDemoFlow_ValidatesWithTheShippedPrompts(t *testing.T) {
	doc, err := Parse(DemoFlow("http://127.0.0.1:8080/demo/orders"))
	if err != nil {
		t.Fatal(err)
	}
	if ps := Validate(doc, demoChecks()); len(ps) > 0 {
		t.Fatalf("demo flow has problems: %v", Problems(ps))
	}
}

func TestDemoFlowRecord_IsAStorableRunnableRecord(t *testing.T) {
	rec := DemoFlowRecord("main", "http://127.0.0.1:8080/demo/orders", testNow)
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DemoHours(testNow).Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := Load(rec)
	if err != nil || f.ID() != "main" || f.Version() != 1 {
		t.Fatalf("load %v", err)
	}
}
