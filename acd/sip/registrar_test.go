package sip

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/siptest"
	"callbox/firmware/store"
)

func TestRegistrar_AcceptsMD5AndSHA256Digest(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	for _, alg := range []string{"MD5", "SHA-256"} {
		p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithAlgorithm(alg))
		res, err := p.Register(ctxT(t), srv.udp())
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: Register = %v, %v; want 200", alg, res, err)
		}
	}
	bs := srv.Contacts("1001")
	if len(bs) != 2 {
		t.Fatalf("Contacts = %+v, want two devices", bs)
	}
	for _, b := range bs {
		if b.Transport != "udp" || b.NAT || !b.Source.Addr().IsLoopback() || b.Target != b.Contact {
			t.Errorf("binding %+v", b)
		}
	}
}

func TestRegistrar_OverTCP(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1002", secret1002), siptest.WithTransport("tcp"))
	res, err := p.Register(ctxT(t), srv.Addr("tcp"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("Register = %v, %v", res, err)
	}
	bs := srv.Contacts("1002")
	if len(bs) != 1 || bs[0].Transport != "tcp" || !strings.Contains(bs[0].Target, bs[0].Source.String()) {
		t.Fatalf("Contacts = %+v", bs)
	}
}

func TestRegistrar_RejectsWrongPasswordWith403(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1001", "Wrong-Pass-99"))
	res, err := p.Register(ctxT(t), srv.udp())
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("Register = %v, %v; want 403", res, err)
	}
	q := siptest.NewPhone(t, siptest.WithUser("4711", "Some-Pass-99"))
	if res, err := q.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 403 {
		t.Fatalf("unknown extension: %v, %v; want the same 403", res, err)
	}
	if len(srv.Contacts("1001")) != 0 {
		t.Fatal("binding made without the password")
	}
}

func TestRegistrar_RefusesRegisteringAnotherExtension(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	req := p.NewRequest("REGISTER", srv.udp())
	req.To().Address.User = "1002"
	req.AppendHeader(sipmsg.NewHeader("Contact", "<sip:1001@127.0.0.1:5999>"))
	res, err := p.Do(ctxT(t), req)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("Do = %v, %v; want 403", res, err)
	}
}

func TestRegistrar_BansBruteForceWhileOthersKeepWorking(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	attacker := siptest.NewPhone(t, siptest.WithUser("1001", "Guess-0000x"), siptest.WithLocalIP("127.0.0.2"))
	for i := range 5 {
		res, err := attacker.Register(ctxT(t), srv.udp())
		if err != nil || res.StatusCode != 403 {
			t.Fatalf("guess %d: %v, %v; want 403", i, res, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if res, err := attacker.Register(ctx, srv.udp()); err == nil {
		t.Fatalf("banned address got an answer: %v", res)
	}
	bans := srv.Bans()
	if len(bans) != 1 || bans[0].Prefix.Addr() != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("Bans = %+v", bans)
	}
	phone := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := phone.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("127.0.0.1 after the ban: %v, %v", res, err)
	}
	if !srv.Lift(netip.MustParseAddr("127.0.0.2")) {
		t.Fatal("Lift found no ban")
	}
	fixed := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithLocalIP("127.0.0.2"))
	if res, err := fixed.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("after Lift: %v, %v", res, err)
	}
}

func TestRegistrar_UnregisterRemovesBindings(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	srv := startServer(t, st, clk, Config{})
	a := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	b := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	for _, p := range []*siptest.Phone{a, b} {
		if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
			t.Fatalf("Register: %v, %v", res, err)
		}
	}
	res, err := a.Unregister(ctxT(t))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("Unregister: %v, %v", res, err)
	}
	if bs := srv.Contacts("1001"); len(bs) != 1 || bs[0].Source != b.Addr() {
		t.Fatalf("after one Expires: 0, Contacts = %+v", bs)
	}
	res, err = a.UnregisterAll(ctxT(t), srv.udp())
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("Contact: *: %v, %v", res, err)
	}
	if bs := srv.Contacts("1001"); len(bs) != 0 {
		t.Fatalf("after Contact: *, Contacts = %+v", bs)
	}
	if regs, _ := store.List[store.Registration](st); len(regs) != 0 {
		t.Fatalf("records left: %+v", regs)
	}
}

func TestRegistrar_HonoursExpiresBounds(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{MinExpires: time.Minute, MaxExpires: 10 * time.Minute})
	short := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithExpires(10))
	res, err := short.Register(ctxT(t), srv.udp())
	if err != nil || res.StatusCode != 423 || res.GetHeader("Min-Expires").Value() != "60" {
		t.Fatalf("too brief: %v, %v; want 423 with Min-Expires: 60", res, err)
	}
	long := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithExpires(86400))
	res, err = long.Register(ctxT(t), srv.udp())
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.GetHeader("Contact").Value(), "expires=600") {
		t.Fatalf("too long: %v, %v; want 200 capped at 600 s", res, err)
	}
	clk.Advance(601 * time.Second)
	if bs := srv.Contacts("1001"); len(bs) != 0 {
		t.Fatalf("expired binding still listed: %+v", bs)
	}
}

func TestRegistrar_KeepsRegistrationsAcrossRestart(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	srv := startServer(t, st, clk, Config{})
	keep := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithExpires(3600))
	lapse := siptest.NewPhone(t, siptest.WithUser("1002", secret1002), siptest.WithExpires(120))
	for _, p := range []*siptest.Phone{keep, lapse} {
		if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
			t.Fatalf("Register: %v, %v", res, err)
		}
	}
	srv.stop()
	clk.Advance(10 * time.Minute)
	again := startServer(t, st, clk, Config{})
	if bs := again.Contacts("1001"); len(bs) != 1 || bs[0].Source != keep.Addr() {
		t.Fatalf("after restart, 1001 = %+v", bs)
	}
	if bs := again.Contacts("1002"); len(bs) != 0 {
		t.Fatalf("expired 1002 came back: %+v", bs)
	}
	regs, _ := store.List[store.Registration](st)
	if len(regs) != 1 || regs[0].Extension != "1001" {
		t.Fatalf("records after restart: %+v", regs)
	}
}

func TestRegistrar_DeletedExtensionLosesRegistrations(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	srv := startServer(t, st, clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1002", secret1002))
	if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	contact := srv.Contacts("1002")[0].Contact
	if _, err := store.Delete[store.Extension](st, "1002"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "registration of deleted 1002 removed", func() bool { return len(srv.Contacts("1002")) == 0 })
	eventually(t, "record removed", func() bool {
		_, err := store.Get[store.Registration](st, store.RegistrationKey("1002", contact))
		return errors.Is(err, store.ErrNotFound)
	})
}

func TestRegistrar_EnforcesAllowedNetworks(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	if _, err := store.Put(st, store.Extension{Number: "1003", Secret: "Red-Stone-31z", AllowedNets: []string{"127.0.0.2/32"}}); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, st, clk, Config{})
	outside := siptest.NewPhone(t, siptest.WithUser("1003", "Red-Stone-31z"))
	if res, err := outside.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 403 {
		t.Fatalf("from 127.0.0.1: %v, %v; want 403", res, err)
	}
	inside := siptest.NewPhone(t, siptest.WithUser("1003", "Red-Stone-31z"), siptest.WithLocalIP("127.0.0.2"))
	if res, err := inside.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("from 127.0.0.2: %v, %v; want 200", res, err)
	}
	// Narrowing the list removes the registration that no longer fits.
	if _, err := store.Put(st, store.Extension{Number: "1003", Secret: "Red-Stone-31z", AllowedNets: []string{"10.0.0.0/8"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "registration outside the new networks removed", func() bool { return len(srv.Contacts("1003")) == 0 })
}

func TestRegistrar_RewritesContactOfPhoneBehindNAT(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001), siptest.WithContact("sip:1001@192.168.1.50:5062"))
	res, err := p.Register(ctxT(t), srv.udp())
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	// The 200 lists the Contact as registered, or the phone would think
	// its registration failed.
	if !strings.Contains(res.GetHeader("Contact").Value(), "sip:1001@192.168.1.50:5062") {
		t.Fatalf("200 Contact = %q", res.GetHeader("Contact").Value())
	}
	via := res.Via()
	if r, _ := via.Params.Get("rport"); r != "" && r != strconv.Itoa(int(p.Addr().Port())) {
		t.Fatalf("rport = %q, want %d", r, p.Addr().Port())
	}
	bs := srv.Contacts("1001")
	if len(bs) != 1 || !bs[0].NAT || bs[0].Contact != "sip:1001@192.168.1.50:5062" ||
		bs[0].Target != "sip:1001@"+p.Addr().String() {
		t.Fatalf("Contacts = %+v", bs)
	}
}
