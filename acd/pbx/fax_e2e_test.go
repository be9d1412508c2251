package pbx_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/pbx"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
	"callbox/drivers/linecard"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/relay"
	"callbox/media/rtp"
	"callbox/media/tone"
)

const faxSecret = "Fax-Test-203xZ"

// faxListen hears a leg through its own RelayTo: right only while
// nothing else reads the leg's decoded audio, as here, where the IVR
// stand-in does not listen.
func faxListen(leg acd.Leg, w media.FrameWriter) (func(), error) {
	ep := leg.Media()
	if ep == nil {
		return nil, errors.New("leg without media")
	}
	return ep.RelayTo(writerOnly{w}), nil
}

type writerOnly struct{ w media.FrameWriter }

func (e writerOnly) Reader() media.FrameReader {
	return media.FrameReaderFunc(func(*media.Frame) error { return io.EOF })
}
func (e writerOnly) Writer() media.FrameWriter            { return e.w }
func (e writerOnly) RelayTo(media.Endpoint) (stop func()) { return func() {} }

// TestRouter_FaxFromThePSTNIsBridgedToTheFaxPhone runs the box's parts
// for real on loopback: a store, the SIP server, the B2BUA, the switch
// with the router as its handler, a simulated PSTN line whose far end
// sends CNG, and a SIP phone registered as the fax extension 203. The
// IVR stand-in answers and plays on; the fax tone hands the call to 203,
// which then hears the caller's 1100 Hz bursts.
func TestRouter_FaxFromThePSTNIsBridgedToTheFaxPhone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CALLBOX_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Extension{Number: "203", Secret: faxSecret, Name: "Fax"}); err != nil {
		t.Fatal(err)
	}
	srv, err := acdsip.New(st, acdsip.Config{UDP: "127.0.0.1:0", KeepAlive: -1,
		Guard: guard.Config{Rate: 1e6, Burst: 1e6}}, acdsip.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	base := 20000 + (os.Getpid()%50)*200
	ports, err := rtp.NewPorts(eng, netip.MustParseAddr("127.0.0.1"), base, base+199)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := dialplan.Compile(dialplan.Config{Country: "cn", Extensions: []string{"203"},
		Inbound: []dialplan.InboundRoute{{Name: "ivr", Via: "line2", Target: dialplan.Target{Kind: dialplan.TargetFlow, Value: "demo"}}}})
	if err != nil {
		t.Fatal(err)
	}

	answered := make(chan struct{})
	stopped := make(chan error, 1)
	var b *b2bua.B2BUA
	router, err := pbx.New(pbx.Config{
		Plan: func() *dialplan.Plan { return plan },
		Ring: func(ctx context.Context, c *acd.Call, ext string) error { return b.RingExtension(ctx, c, ext) },
		Flow: func(ctx context.Context, c *acd.Call, name string) error {
			c.AddRoute("flow:" + name)
			if err := c.Answer(ctx); err != nil {
				return err
			}
			close(answered)
			<-ctx.Done()
			stopped <- context.Cause(ctx)
			return context.Cause(ctx)
		},
		FaxDestination: func() string { return "203" },
		Listen:         faxListen,
		Logger:         log,
	})
	if err != nil {
		t.Fatal(err)
	}
	sw := acd.NewSwitch(router.Handle, acd.WithLogger(log))
	ends := sw.Bus().Subscribe(ctx, acd.WithBuffer(16))
	b, err = b2bua.New(st, srv, sw, ports, b2bua.WithLogger(log),
		b2bua.WithConfig(b2bua.Config{MediaTimeout: -1, RingTimeout: 20 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	box, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	far, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports, Peer: box.Lines()[0].Addr(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()

	var wg sync.WaitGroup
	run, stop := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(run) })
	wg.Go(func() { _ = b.Run(run) })
	wg.Go(func() { _ = acd.RunLines(run, sw, []*acd.Line{acd.NewLine(box.Channels()[0], "line2")}) })
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = sw.Shutdown(sctx)
		scancel()
		stop()
		wg.Wait()
	}()
	select {
	case <-srv.Ready():
	case err := <-runErr:
		t.Fatalf("sip: %v", err)
	}

	fax := siptest.NewPhone(t, siptest.WithUser("203", faxSecret))
	if res, err := fax.Register(ctx, srv.Addr("udp")); err != nil || res.StatusCode != 200 {
		t.Fatalf("register 203: %v %v", res, err)
	}

	// The fax machine dials in and sends CNG once answered, as T.30 has
	// it, until the test ends.
	line := far.Lines()[0]
	if err := line.Dial(ctx, "88886666", "01066667777"); err != nil {
		t.Fatal(err)
	}
	defer line.OnHook()
	select {
	case <-answered:
	case <-ctx.Done():
		t.Fatal("the IVR never answered")
	}
	sending, quit := context.WithCancel(ctx)
	wg.Go(func() {
		src := tone.NewSpec(tone.Spec{Freqs: []int{1100}, Cadence: []time.Duration{500 * time.Millisecond, 3 * time.Second}})
		w := line.Media().Writer()
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		var f media.Frame
		for {
			select {
			case <-sending.Done():
				return
			case <-tick.C:
			}
			if src.ReadFrame(&f) != nil || w.WriteFrame(&f) != nil {
				return
			}
		}
	})
	defer quit()

	if err := <-stopped; !errors.Is(err, pbx.ErrFaxTone) {
		t.Fatalf("the IVR was stopped by %v", err)
	}
	in, err := fax.Incoming(ctx)
	if err != nil {
		t.Fatalf("the fax extension was not rung: %v", err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	// The next bursts reach the fax phone through the bridge.
	heard := false
	for range 15 {
		if audiotest.HasTone(in.Listen(300*time.Millisecond), 1100, 0.5) {
			heard = true
			break
		}
	}
	if !heard {
		t.Fatal("the fax phone never heard the caller's CNG")
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-ends:
			end, ok := e.(acd.CallEnded)
			if !ok {
				continue
			}
			want := []string{"inbound:ivr", "flow:demo", "fax:203", "ext:203"}
			if got := end.Call.Route; !slices.Equal(got, want) {
				t.Fatalf("route %q, want %q", got, want)
			}
			if end.Call.Disposition != acd.DispositionFax {
				t.Fatalf("disposition %q", end.Call.Disposition)
			}
			return
		case <-ctx.Done():
			t.Fatal("the call never ended")
		}
	}
}
