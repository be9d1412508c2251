package queue

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

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
	put(store.Queue{Name: "sales", Strategy: store.StrategyLinear, Agents: []string{"102", "101"}, RingSeconds: 12,
		MaxWaitSeconds: 300, Overflow: "vm:200", AnnouncePosition: true, OfferCallback: true,
		Skills: []store.QueueSkill{{Skill: "zh", MinLevel: 2}}, Lang: "zh"})

	h := newHarness(t)
	h.must(h.d.ApplyStore(s))
	c, err := h.d.Queue("sales")
	h.must(err)
	if c.Version != 1 || c.RingTime != 12*time.Second || c.MaxWait != 5*time.Minute || c.Overflow != (Destination{DestVoicemail, "200"}) ||
		c.AnnounceEvery != StoreAnnounceEvery || c.ExitKeys[StoreCallbackKey].Kind != ExitCallback || c.Lang != "zh" ||
		len(c.Members) != 2 || c.Members[0].Agent != "102" || c.Requirements[0] != (Requirement{"zh", 2}) {
		t.Fatalf("config %+v", c)
	}
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
}
