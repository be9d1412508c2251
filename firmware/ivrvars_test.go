package firmware

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// A flow branches on the caller's record in the built-in directory: the
// facts the runner gets are read from the real directory over the store.
func TestCustomerFacts_FlowBranchesOnTheCallersRecord(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.CustomerField{Name: "plan", LabelEN: "Plan", Type: store.FieldText}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Wang Fang", Numbers: []string{"+8613812345678"}, Lang: i18n.ZH,
		VIPLevel: 3, Tags: []string{"gold"}, Fields: map[string]string{"plan": "enterprise"}}); err != nil {
		t.Fatal(err)
	}
	dir := source.NewLive(st, directory.PlanCN, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dir.Run(ctx) }()
	defer func() { cancel(); <-done }()
	settle(t, "directory sources", func() bool { return len(dir.Health()) > 0 })

	vip := customerFacts(ctx, dir, "13812345678")
	want := map[string]string{"customer.found": "yes", "customer.id": "c1", "customer.name": "Wang Fang", "customer.lang": "zh",
		"customer.vip": "yes", "customer.vipLevel": "3", "customer.tags": "gold", "customer.plan": "enterprise"}
	for k, v := range want {
		if vip[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, vip[k], v, vip)
		}
	}
	stranger := customerFacts(ctx, dir, "13900000000")
	if len(stranger) != 1 || stranger["customer.found"] != "no" {
		t.Fatalf("unknown caller: %v", stranger)
	}

	doc, err := ivr.Parse([]byte(`{"format":1,"name":"vip","languages":["en","zh"],"nodes":[
		{"id":"start","type":"start","exits":{"next":"lang"}},
		{"id":"lang","type":"set-language","settings":{"var":"customer.lang"},"exits":{"next":"b"}},
		{"id":"b","type":"branch-var","settings":{"var":"customer.vipLevel","rules":[{"exit":"vip","op":"ge","value":"2"}]},"exits":{"vip":"gold","default":"sales"}},
		{"id":"gold","type":"queue","settings":{"queue":"vip"}},
		{"id":"sales","type":"queue","settings":{"queue":"sales"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ivr.Compile(doc, "vip", 1, ivr.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	e := ivr.NewEngine()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		facts  map[string]string
		action string
		lang   string
	}{{vip, "queue vip", "zh"}, {stranger, "queue sales", "en"}} {
		res, err := e.DryRun(ctx, f, ivr.DryRun{ANI: "13812345678", DNIS: "80080", At: at, Lang: "en", Vars: tc.facts})
		if err != nil || res.Error != "" {
			t.Fatalf("dry run: %v %s", err, res.Error)
		}
		if !slices.Contains(res.Actions, tc.action) || res.Lang != tc.lang {
			t.Errorf("facts %v: actions %q, language %q; want %q in %s", tc.facts, res.Actions, res.Lang, tc.action, tc.lang)
		}
	}
}
