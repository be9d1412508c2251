package acd

import (
	"context"
	"net/netip"
	"testing"

	"callbox/drivers/linecard"
	"callbox/media/relay"
	"callbox/media/rtp"
)

func TestLine_RingBecomesCallAndFarHangupEndsIt(t *testing.T) {
	e, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ports, err := rtp.NewPorts(e, netip.MustParseAddr("127.0.0.1"), 42000, 42999)
	if err != nil {
		t.Fatal(err)
	}
	box, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	far, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports, Peer: box.Lines()[0].Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()

	answered := make(chan string, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		if err := c.Answer(ctx); err != nil {
			return err
		}
		answered <- c.Caller().Caller().Number
		<-ctx.Done()
		return nil
	})
	defer hangUpAll(sw)
	events := sw.Bus().Subscribe(t.Context())
	line := NewLine(box.Channels()[0], "fxo1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunLines(ctx, sw, []*Line{line}) }()
	defer func() { cancel(); <-done }()

	if err := far.Lines()[0].Dial(ctx, "01088886601", "13800138000"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, answered); got != "13800138000" {
		t.Fatalf("caller %q", got)
	}
	far.Lines()[0].OnHook()
	var rec CallRecord
	for {
		if end, ok := recv(t, events).(CallEnded); ok {
			rec = end.Call
			break
		}
	}
	if rec.HangupSide != SideCaller || rec.Caller.Origin() != "line:fxo1" || rec.Dialed != "01088886601" ||
		rec.Direction != DirectionIn {
		t.Fatalf("record %+v", rec)
	}
}

func TestLine_DialFailuresCarryCauses(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Cause
	}{
		{&linecard.RejectedError{Status: 486, Reason: "Busy Here"}, CauseUserBusy},
		{&linecard.RejectedError{Status: 503}, CauseTemporaryFailure},
		{linecard.ErrBusy, CauseNoCircuitAvailable},
		{linecard.ErrNoPeer, CauseNetworkOutOfOrder},
	} {
		if got := dialCause(tc.err); got != tc.want {
			t.Errorf("dialCause(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
