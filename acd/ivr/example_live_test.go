package ivr_test

import (
	"context"
	"log/slog"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// The wiring the firmware does for live calls: one pacer and prompt
// library for the box, the IVR service following the store, voicemail
// on the same voice, and the runner the router calls with the flow a
// line or number routes to. (Queue and transfer come from the queue and
// the router; without a fax sender the fax node is not offered.)
func ExampleService() {
	st, err := store.Open("/var/lib/callbox/callbox.db")
	if err != nil {
		return
	}
	log := slog.Default()
	pacer := prompt.NewPacer(nil, log)
	voice := &ivr.Voice{Pacer: pacer, Prompts: prompt.NewLibrary("/var/lib/callbox/prompts"),
		Files: ivr.FilesIn("/var/lib/callbox/prompts/files"), Log: log}
	flows := ivr.NewService(st, log)
	mail, err := voicemail.NewService(voicemail.Config{Dir: "/var/lib/callbox/voicemail", Store: st, Voice: voice,
		MWI: func(box string, newMsgs, oldMsgs int) { /* the SIP side's NOTIFY */ }})
	if err != nil {
		return
	}
	runner := flows.Runner(voice, ivr.Actions{Voicemail: mail.Leave}, nil)
	route := func(ctx context.Context, c *acd.Call, flow string) error { return runner.Run(ctx, c, flow) }

	ctx := context.Background()
	go func() { _ = pacer.Run(ctx) }()
	go func() { _ = flows.Run(ctx) }()
	go func() { _ = mail.Run(ctx) }()
	_ = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { return route(ctx, c, ivr.DemoFlowID) })
}
