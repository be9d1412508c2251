package queue

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/firmware/store"
)

func TestDispatcher_ApplyStoreFollowsTheRecords(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(r store.Record) {
		t.Helper()
		if _, err := store.PutAll(s, r); err != nil {
			t.Fatal(err)
		}
	}
	put(store.Agent{ID: "101", Name: "Li", Enabled: true, WrapUpSeconds: 5,
		Skills: []store.SkillLevel{{Skill: "zh", Level: 4}}})
	put(store.Agent{ID: "102", Name: "Wang", Enabled: true})
	put(store.Settings{SiteName: "Shop", Lang: "zh", Country: "cn", TimeZone: "Asia/Shanghai",
		PauseReasons: []string{"lunch"}, AutoPauseAfter: 2})
	put(store.Queue{Name: "sales", Strategy: store.StrategyWeightedRandom, RingSeconds: 12,
		Members:        []store.QueueMember{{Agent: "102", Penalty: 1, Level: 3, Weight: 5}, {Agent: "101", Level: 1, Weight: 1}},
		MaxWaitSeconds: 300, Overflow: "vm:200", AnnounceSeconds: 45, AnnouncePosition: true,
		ExitKeys: []store.QueueExit{{Key: "1", Kind: store.ExitCallback}, {Key: "0", Kind: store.ExitVoicemail, Target: "200"}},
		Widen:    []store.WidenStep{{AfterSeconds: 60, MaxLevel: 1}, {AfterSeconds: 120, Any: true}},
		JoinWhen: store.PresenceLoggedIn, StayWhen: store.PresenceUnpaused, AffinitySeconds: 3600, AffinityHoldSeconds: 15,
		SkipSeconds: 30, CallbackTries: 5, CallbackRetrySeconds: 90, HandleSamples: 10,
		Skills: []store.QueueSkill{{Skill: "zh", MinLevel: 2}}, Lang: "zh"})

	h := newHarness(t)
	h.must(h.d.ApplyStore(s))
	c, err := h.d.Queue("sales")
	h.must(err)
	if c.Version != 1 || c.Strategy != WeightedRandom || c.RingTime != 12*time.Second || c.MaxWait != 5*time.Minute ||
		c.Overflow != (Destination{DestVoicemail, "200"}) || c.Lang != "zh" || c.Requirements[0] != (Requirement{"zh", 2}) {
		t.Fatalf("config %+v", c)
	}
	if !slices.Equal(c.Members, []Member{{Agent: "102", Penalty: 1, Level: 3, Weight: 5}, {Agent: "101", Level: 1, Weight: 1}}) {
		t.Errorf("members %+v", c.Members)
	}
	if c.AnnounceEvery != 45*time.Second || !c.AnnouncePosition || c.AnnounceWait ||
		!maps.Equal(c.ExitKeys, map[string]Exit{"1": {Kind: ExitCallback}, "0": {Kind: ExitVoicemail, Target: "200"}}) {
		t.Errorf("announcements %v %v %v, exit keys %v", c.AnnounceEvery, c.AnnouncePosition, c.AnnounceWait, c.ExitKeys)
	}
	if !slices.Equal(c.Widen, []WidenStep{{After: time.Minute, MaxLevel: 1}, {After: 2 * time.Minute, Any: true}}) {
		t.Errorf("widen %+v", c.Widen)
	}
	if c.JoinWhen != LoggedIn || c.StayWhen != Unpaused || c.AffinityFor != time.Hour || c.AffinityHold != 15*time.Second ||
		c.SkipFor != 30*time.Second || c.CallbackTries != 5 || c.CallbackRetry != 90*time.Second || c.HandleSamples != 10 {
		t.Errorf("config %+v", c)
	}
	// The settings' pause reasons apply.
	h.login("101")
	if err := h.d.Pause("101", "coffee"); !errors.Is(err, agent.ErrUnknownReason) {
		t.Errorf("pause with an unlisted reason: %v", err)
	}
	h.must(h.d.Pause("101", "lunch"))
	h.must(h.d.Resume("101"))
	a, err := h.d.Agent("101")
	h.must(err)
	if a.WrapUp != 5*time.Second || a.Level("zh") != 4 {
		t.Errorf("profile %+v", a.Profile)
	}
	// Applying again changes nothing: no new version for waiting calls.
	h.must(h.d.ApplyStore(s))
	if c, _ := h.d.Queue("sales"); c.Version != 1 {
		t.Errorf("version %d after a no-op apply", c.Version)
	}
	// An agent disabled and a queue deleted go away.
	put(store.Agent{ID: "102", Name: "Wang", Enabled: false})
	if _, err := store.Delete[store.Queue](s, "sales"); err != nil {
		t.Fatal(err)
	}
	h.must(h.d.ApplyStore(s))
	if _, err := h.d.Agent("102"); !errors.Is(err, agent.ErrUnknownAgent) {
		t.Errorf("disabled agent: %v", err)
	}
	if _, err := h.d.Queue("sales"); !errors.Is(err, ErrUnknownQueue) {
		t.Errorf("deleted queue: %v", err)
	}
}

func TestConfigFromStore_RefusesBadOverflow(t *testing.T) {
	if _, err := ConfigFromStore(store.Queue{Name: "q", Strategy: store.StrategyRandom, Overflow: "sip:x"}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("err = %v", err)
	}
	if _, err := ConfigFromStore(store.Queue{Name: "q", Strategy: store.StrategyRandom, StayWhen: "never"}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("presence: err = %v", err)
	}
}

func TestConfigFromStore_AcceptsEveryStoreStrategy(t *testing.T) {
	for _, st := range store.Strategies {
		q := store.Queue{Name: "q", Strategy: st}
		if err := q.Validate(); err != nil {
			t.Fatal(err)
		}
		c, err := ConfigFromStore(q)
		if err != nil || string(c.Strategy) != string(st) {
			t.Errorf("%s: %+v %v", st, c.Strategy, err)
		}
	}
}

func TestConfiguredRecording_FollowsTheQueueRecordAsTheStoreChanges(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	noDial := WithDial(func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) { return nil, errors.ErrUnsupported })
	l, err := NewLive(noDial, WithStore(s), WithConfiguredRecording(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.policy("sales"); got != RecordAll {
		t.Errorf("unknown queue: %q, want %q", got, RecordAll)
	}
	steps := []struct {
		rec  store.RecordPolicy
		want RecordPolicy
	}{
		{"", RecordAll},
		{store.RecordNone, RecordNone},
		{store.RecordOnDemand, RecordOnDemand},
		{store.RecordAll, RecordAll},
	}
	for _, st := range steps {
		if _, err := store.Put(s, store.Queue{Name: "sales", Strategy: store.StrategyRingAll, Record: st.rec}); err != nil {
			t.Fatal(err)
		}
		// What Live.Run's change feed does on every change of a queue.
		if err := l.d.ApplyStore(s); err != nil {
			t.Fatal(err)
		}
		if got := l.policy("sales"); got != st.want {
			t.Errorf("record %q: policy %q, want %q", st.rec, got, st.want)
		}
	}
	// Without a directory nothing is recorded, whatever the queue says.
	off, err := NewLive(noDial, WithStore(s), WithConfiguredRecording(""))
	if err != nil {
		t.Fatal(err)
	}
	if err := off.d.ApplyStore(s); err != nil {
		t.Fatal(err)
	}
	if got := off.policy("sales"); got != RecordNone {
		t.Errorf("no directory: %q, want %q", got, RecordNone)
	}
}
