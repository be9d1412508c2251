package firmware

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// demoFlow is a small IVR: greet, then support (1) or reception (2);
// anything else repeats the menu once, then goes to support.
const demoFlow = `{
  "version": 1,
  "start": "welcome",
  "nodes": {
    "welcome":   {"type": "menu", "prompt": "welcome", "timeoutSeconds": 5, "retries": 1,
                  "choices": {"1": "support", "2": "reception"}, "default": "support"},
    "support":   {"type": "queue", "queue": "support"},
    "reception": {"type": "extension", "extension": "201"}
  }
}`

// seedDemo fills an empty store with a demo site: four extensions with
// generated secrets, two skills, two agents, a queue, an IVR flow and four
// simulated PSTN lines (ensureAdmin then adds the administrator). A store
// that already holds records is left alone, so running with --demo again
// changes nothing.
func seedDemo(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, out io.Writer, lang i18n.Lang) error {
	counts, err := s.Counts()
	if err != nil {
		return err
	}
	for _, n := range counts {
		if n > 0 {
			log.InfoContext(ctx, "demo: the store already has records; nothing seeded")
			return nil
		}
	}
	var puts []func() error
	names := []string{"Reception", "Sales desk", "Support desk", "Warehouse"}
	for i, name := range names {
		secret, err := store.GenerateSecret(20)
		if err != nil {
			return err
		}
		puts = append(puts, putter(s, store.Extension{Number: fmt.Sprintf("20%d", i+1), Name: name, Secret: secret, Voicemail: true}))
	}
	puts = append(puts,
		putter(s, store.Skill{Name: "sales", Description: "Orders and quotes"}),
		putter(s, store.Skill{Name: "support", Description: "Help with products"}),
		putter(s, store.Agent{ID: "801", Name: "Li Wei", Extension: "202", Enabled: true,
			Skills: []store.SkillLevel{{Skill: "sales", Level: 8}, {Skill: "support", Level: 3}}}),
		putter(s, store.Agent{ID: "802", Name: "Anna Smith", Extension: "203", Enabled: true,
			Skills: []store.SkillLevel{{Skill: "support", Level: 9}}}),
		putter(s, store.Queue{Name: "support", Number: "600", Strategy: store.StrategySkills,
			Skills:      []store.QueueSkill{{Skill: "support", MinLevel: 1}},
			Members:     []store.QueueMember{{Agent: "801", Level: 1, Weight: 1}, {Agent: "802", Level: 1, Weight: 1}},
			RingSeconds: 20, ServiceLevelSeconds: 20, AnnounceSeconds: 60, AnnouncePosition: true, AnnounceWait: true,
			ExitKeys: []store.QueueExit{{Key: "1", Kind: store.ExitCallback}}}),
		putter(s, store.Flow{ID: "main", Name: "Main menu", Version: 1, Published: true, Doc: json.RawMessage(demoFlow), UpdatedAt: now()}),
	)
	for i := 1; i <= 4; i++ {
		puts = append(puts, putter(s, store.Line{ID: fmt.Sprintf("line%d", i), Name: fmt.Sprintf("Simulated line %d", i),
			Type: store.LineFXO, Device: fmt.Sprintf("sim:%d", i), Number: fmt.Sprintf("8008%d", i), Route: "main", Enabled: true}))
	}
	for _, put := range puts {
		if err := put(); err != nil {
			return err
		}
	}
	log.InfoContext(ctx, "demo: configuration seeded", "records", len(puts))
	_, err = fmt.Fprintln(out, i18n.T(lang, "firmware.demo.seeded", len(puts)))
	return err
}

// ensureAdmin gives a store without an administrator one, named admin,
// with a random one-time password printed once to out: the first person
// at the web UI must prove they saw the console, so a new box on a shared
// network cannot be claimed by whoever finds it first.
func ensureAdmin(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, out io.Writer, lang i18n.Lang) error {
	users, err := store.List[store.User](s)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Role == store.RoleAdmin {
			return nil
		}
	}
	user, pw, err := ResetAdminPassword(s, now)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "administrator created with a one-time password, printed on the console", "user", user)
	_, err = fmt.Fprintln(out, i18n.T(lang, "firmware.admin.created", user, pw))
	return err
}

// putter returns a step that stores r.
func putter[T store.Record](s *store.Store, r T) func() error {
	return func() error {
		if _, err := store.Put(s, r); err != nil {
			return fmt.Errorf("%s %s: %w", r.Kind(), r.Key(), err)
		}
		return nil
	}
}
