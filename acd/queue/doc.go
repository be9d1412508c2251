// Package queue is the ACD's brain: queues, waiting calls, the choice of
// agent, callbacks that keep the caller's place, and service-level
// figures. It is pure logic with an injected clock and random source:
// the switch tells it what happened (a call joined, an agent answered,
// a call ended) and it answers with Actions (Offer, Cancel, Announce,
// Route, Dial) and bus Events (agent.Event, Joined, Left,
// CallbackChanged).
//
// # Using it from the switch
//
//	d := queue.New(queue.WithClock(clock), queue.WithActions(toSwitch), queue.WithEvents(toBus),
//		queue.WithCallbacks(queue.NewStoreCallbacks(st)))
//	d.ApplyStore(st); d.Restore(ctx)   // queues, agents, pause rules; then callbacks
//	go d.Run(ctx)                       // timers: ring time, wrap-up, max wait, announcements
//
//	t, err := d.Join(queue.Call{ID: id, Queue: "sales", Caller: num, Priority: vip})
//	// per Offer action: ring Extension; then d.Answered / d.Rejected / d.NoAnswer
//	// caller hangs up while waiting:  d.Leave(id, queue.LeftAbandoned)
//	// caller presses a key:            x, ok := d.ExitKey(id, "1"); d.RequestCallback(ctx, id, number)
//	// bridged call ends:               d.Hangup(ctx, id)
//	// per Dial action:                 d.CallbackResult(ctx, id, queue.OutcomeConnected)
//
// # Live calls
//
// Live is the dispatcher wired to real calls, the way the firmware uses
// it. Each caller's goroutine calls Live.Wait (the router's queue target):
// it answers, joins, plays hold music from one prompt.Pacer player with
// the position and estimated-wait announcements (media/prompt, in the
// caller's language) spliced in, reads the caller's DTMF for exit keys
// (voicemail or flow through the RouteFunc; callback with confirm or
// enter-a-number), rings each offered agent with the injected DialFunc
// (b2bua.(*B2BUA).Dial) and bridges the first to answer through
// acd.Call.Bridge. A Mailbox routes each action to its caller's
// goroutine; callbacks, having none, go to Live.Run's worker, which rings
// the agent first (the preview, showing the customer), then calls the
// customer with the DialOutFunc and bridges them, reporting every
// outcome so retries and the stored record follow.
//
//	live, _ := queue.NewLive(queue.WithDial(b2b.Dial), queue.WithDialOut(out), queue.WithRouter(route),
//		queue.WithStore(st), queue.WithBus(bus), queue.WithConfiguredRecording(dataDir))
//	go live.Run(ctx)                       // timers, callbacks, store feed, intervals
//	err := live.Wait(ctx, call, queue.Request{Queue: "sales", Priority: vip})
//
// The caller and the agent talk through the switch's bridge (relay fast
// path, hold, transfer, conference). A recording takes both sides'
// decoded frames from the bridge's taps (acd.Call.Tap), relayed or mixed
// alike, so it never competes with the mixer for a leg's audio: the
// queue's recording policy (all, none, on demand) writes them with
// media/record and indexes the file in the store. A supervisor joins the
// bridge as a party heard, by mode, by nobody (listen), the agent alone
// (whisper) or both (barge); SetSupervision switches between the modes
// and the bridge mixes while the supervisor is in. A callback's legs are
// relayed outside any bridge: its talk reads them itself, and its
// supervisor can only listen, fed both sides mixed (media/mix) by one
// 20 ms pacing loop; whisper and barge are refused there
// (ErrSupervisionMode). Agent feature codes and the
// CTI-shaped Login, Logout, Pause and Ready drive the agents; Run follows
// the store's change feed, so a queue edited or an agent deleted while
// calls wait applies at once without losing a call. With a bus, every
// change of a queue's figures (a caller joining or leaving, an agent's
// state) goes out as an acd.QueueStats, at most once per StatsEvery per
// queue, for the wallboard.
//
// # Consulting a queue
//
// Live.Reach rings the best free agent of a queue for a call that is
// connected elsewhere already: an agent consults the queue, or hands the
// call to it (acd/pbx's "queue:NAME" targets). It joins the dispatcher
// as a Call with Internal set, so strategy, skills, one offer at a time,
// ring time, skips, auto-pause, the offer notice (the customer's call on
// the new agent's screen) and wrap-up across queues all hold. Such a
// consultation goes ahead of every customer waiting (an agent is holding
// a customer already), needs a member logged in whatever JoinWhen says,
// and is not a call offered to the queue's service: it leaves no trace
// in the service level, the handle time, the callers waiting or the
// Joined/Left events. The reached agent's state changes carry the
// consultation's own ID ("<call ID>~q<N>"), since the customer's call is
// still the consulting agent's in the dispatcher.
//
// # Persistence
//
// On a box, callbacks live in the store: WithCallbacks(NewStoreCallbacks(st))
// keeps each as a store.Callback record, and Restore after a restart puts
// them back in their places. ApplyStore turns the store's Queue, Agent and
// Settings records into Configs, Profiles and the pause rules. An
// IntervalWriter, flushed from the owner's ticker, moves finished
// service-level intervals into store.QueueInterval records, keeping those
// the store refused for the next Flush; StoredIntervals reads them back.
// Live stores the running interval's figures when it stops and seeds
// today's intervals back when it starts, so a restart loses neither the
// day's figures nor the interval in progress.
//
// # Who gets which call
//
// One dispatcher decides for every queue. Waiting calls are served in one
// global order: priority (higher first, so a VIP overtakes), then their
// place in time (the first join; a callback and a call moved by overflow
// keep it). Each call in that order is offered to the agents free for it,
// chosen by its queue's Strategy among the members who are available,
// meet the call's requirements (widened by the queue's steps as the wait
// grows), were not skipped for it, and sit in the lowest penalty tier
// present. Because an agent is offered one call at a time and calls are
// taken in that order, an agent in several queues always gets the most
// urgent call of all their queues. An agent who rejects or lets an offer
// ring out is skipped for that call for the rest of its wait, and
// agent.WithAutoPause pauses them after N misses in a row. Wrap-up is the
// agent's state, so it holds them in every queue.
//
// A preferred agent (the caller's designated agent, or their previous
// agent within the queue's AffinityFor) is chosen first whenever free and
// a member of the queue; for AffinityHold the call waits for that agent
// alone while they are a member, logged in and not paused.
//
// # Changing a queue while calls wait
//
// SetQueue stamps a new Version. A waiting call keeps the version it
// joined with for everything the caller experiences: ring time, wrap-up
// of its agent, maximum wait, overflow, announcements, exit keys,
// widening steps, requirements and the service-level threshold. Who may
// take it (members, penalties, strategy) is always the current version,
// so an agent removed from a queue gets no more of its calls. A queue
// removed while calls wait sends its live callers to their version's
// overflow (moved, keeping their place, when that is a queue); its
// callbacks move to an overflow queue or stay, kept, until a queue of
// that name exists again.
//
// # Robustness
//
// An agent deleted mid-call leaves the call to the switch; Hangup still
// counts it. Reports about offers that no longer stand return ErrNoOffer
// and change nothing. A callback number that is not dialable is refused
// up front (ErrNotDialable, the caller keeps waiting), and one found at
// Restore or reported by the switch ends with OutcomeInvalid, saved.
package queue
