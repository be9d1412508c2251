package sip

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/firmware/store"
)

func TestBans_OutliveARestartUntilLiftedOrOver(t *testing.T) {
	clk := newTestClock()
	path := filepath.Join(t.TempDir(), "callbox.db")
	st := openStore(t, path, clk)
	srv := startServer(t, st, clk, Config{})
	attacker := siptest.NewPhone(t, siptest.WithUser("1001", "Guess-0000x"), siptest.WithLocalIP("127.0.0.2"))
	for i := range 5 {
		if res, err := attacker.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 403 {
			t.Fatalf("guess %d: %v, %v; want 403", i, res, err)
		}
	}
	srv.stop()

	// A new server on the same store: the ban holds without a single
	// new failure.
	srv = startServer(t, st, clk, Config{})
	if bans := srv.Bans(); len(bans) != 1 || bans[0].Prefix != netip.MustParsePrefix("127.0.0.2/32") {
		t.Fatalf("Bans after restart = %+v", bans)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	fixed := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithLocalIP("127.0.0.2"))
	if res, err := fixed.Register(ctx, srv.udp()); err == nil {
		t.Fatalf("banned address answered after a restart: %v", res)
	}
	if !srv.Lift(netip.MustParseAddr("127.0.0.2")) {
		t.Fatal("Lift found no ban")
	}
	if _, err := store.Get[store.SIPBan](st, "127.0.0.2/32"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lifted ban still stored: %v", err)
	}
	srv.stop()

	// A ban that ran out while the box was off is dropped at start.
	since := clk.Now().Add(-2 * time.Hour)
	if _, err := store.Put(st, store.SIPBan{Prefix: "127.0.0.3/32", Since: since, Until: since.Add(time.Hour), Failures: 5}); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, st, clk, Config{})
	if bans := srv.Bans(); len(bans) != 0 {
		t.Fatalf("Bans = %+v, want none", bans)
	}
	if _, err := store.Get[store.SIPBan](st, "127.0.0.3/32"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired ban still stored: %v", err)
	}
}
