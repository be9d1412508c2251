package firmware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"callbox/acd/ivr"
	"callbox/acd/messaging"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// demoExtensions are the demo's desk phones; 201-203 are the sales
// agents' desks.
var demoExtensions = []struct{ number, name string }{
	{"201", "Reception"}, {"202", "Sales desk 1"}, {"203", "Sales desk 2"}, {"204", "Support desk"}, {"205", "Warehouse"},
}

// demoOrdersURL is the demo flow's order-status lookup, answered
// in-process (see demoDoer).
const demoOrdersURL = "http://" + demoOrdersHost + "/demo/orders"

// seedDemo fills an empty store with a demo site: five extensions 201-205
// with generated secrets (printed once, so phones can register), skills,
// three sales agents on 201-203, the "sales" and "support" queues, the
// bilingual demo IVR flow with its business hours (acd/ivr), and four
// simulated PSTN lines whose calls go to that flow (ensureAdmin then adds
// the administrator). A store that already holds records is left alone,
// so running with --demo again changes nothing.
func seedDemo(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, out io.Writer, lang i18n.Lang, dataDir string) error {
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
	var secrets []string
	for _, e := range demoExtensions {
		secret, err := store.GenerateSecret(20)
		if err != nil {
			return err
		}
		secrets = append(secrets, secret)
		puts = append(puts, putter(s, store.Extension{Number: e.number, Name: e.name, Secret: secret, Voicemail: true}))
	}
	sales := []store.QueueMember{}
	for i, a := range []struct{ id, name, ext string }{{"801", "Li Wei", "201"}, {"802", "Anna Smith", "202"}, {"803", "Zhang Min", "203"}} {
		puts = append(puts, putter(s, store.Agent{ID: a.id, Name: a.name, Extension: a.ext, Enabled: true,
			Skills: []store.SkillLevel{{Skill: "sales", Level: 8 - i}, {Skill: "support", Level: 3 + i}}}))
		sales = append(sales, store.QueueMember{Agent: a.id, Level: 1, Weight: 1})
	}
	puts = append(puts,
		putter(s, store.Skill{Name: "sales", Description: "Orders and quotes"}),
		putter(s, store.Skill{Name: "support", Description: "Help with products"}),
		putter(s, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategySkills,
			Skills: []store.QueueSkill{{Skill: "sales", MinLevel: 1}}, Members: sales,
			RingSeconds: 20, ServiceLevelSeconds: 20, AnnounceSeconds: 60, AnnouncePosition: true, AnnounceWait: true,
			ExitKeys: []store.QueueExit{{Key: "1", Kind: store.ExitCallback}}}),
		putter(s, store.Queue{Name: "support", Number: "601", Strategy: store.StrategySkills,
			Skills: []store.QueueSkill{{Skill: "support", MinLevel: 1}}, Members: sales[1:],
			RingSeconds: 20, ServiceLevelSeconds: 30, AnnounceSeconds: 60, AnnouncePosition: true, AnnounceWait: true}),
		putter(s, ivr.DemoHours(now())),
		putter(s, ivr.DemoFlowRecord(ivr.DemoFlowID, demoOrdersURL, now())),
	)
	// A simulated GSM modem and fax modem whose conversations and faxes go
	// to the sales queue.
	for _, l := range messaging.DemoLines("sales") {
		puts = append(puts, putter(s, l))
	}
	for i := 1; i <= 4; i++ {
		puts = append(puts, putter(s, store.Line{ID: fmt.Sprintf("line%d", i), Name: fmt.Sprintf("Simulated line %d", i),
			Type: store.LineFXO, Device: fmt.Sprintf("sim:%d", i), Number: fmt.Sprintf("8008%d", i), Route: ivr.DemoFlowID, Enabled: true}))
	}
	for _, put := range puts {
		if err := put(); err != nil {
			return err
		}
	}
	// The fax-on-demand document the demo flow's fax node sends.
	if _, err := messaging.DemoDocument(ctx, dataDir); err != nil {
		return fmt.Errorf("demo fax document: %w", err)
	}
	log.InfoContext(ctx, "demo: configuration seeded", "records", len(puts))
	if _, err := fmt.Fprintln(out, i18n.T(lang, "firmware.demo.seeded", len(puts))); err != nil {
		return err
	}
	for i, e := range demoExtensions {
		if _, err := fmt.Fprintln(out, i18n.T(lang, "firmware.demo.extension", e.number, e.name, secrets[i])); err != nil {
			return err
		}
	}
	return nil
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
