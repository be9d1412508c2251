package sip

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/siptest"
)

func TestServer_RefusesWildcardAndMissingListeners(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	for _, cfg := range []Config{
		{UDP: "0.0.0.0:5060"},
		{TCP: "[::]:5060"},
		{UDP: ":5060"},
		{},
		{TLS: "127.0.0.1:5061"}, // no DataDir, no certificate
		{UDP: "127.0.0.1:5060", MinExpires: time.Hour, MaxExpires: time.Minute},
	} {
		if _, err := New(st, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := New(st, Config{UDP: "0.0.0.0:5060", AllowWildcard: true}); err != nil {
		t.Errorf("explicit wildcard refused: %v", err)
	}
}

func TestServer_RunStopsEveryGoroutine(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	srv := startServer(t, st, clk, Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", TLS: "127.0.0.1:0", DataDir: dir})
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	q := siptest.NewPhone(t, siptest.WithUser("1002", secret1002), siptest.WithTransport("tcp"))
	if res, err := q.Register(ctxT(t), srv.Addr("tcp")); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register over TCP: %v, %v", res, err)
	}
	conn, err := tls.Dial("tcp", srv.Addr("tls").String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	srv.tick <- time.Now() // one round of keep-alives
	srv.stop()
	if err := srv.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run = %v, want ErrRunning", err)
	}
	p.Close()
	q.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if pc, err := net.ListenPacket("udp", srv.Addr("udp").String()); err != nil {
		t.Fatalf("UDP port still bound after Run: %v", err)
	} else {
		pc.Close()
	}
	if l, err := net.Listen("tcp", srv.Addr("tcp").String()); err != nil {
		t.Fatalf("TCP port still bound after Run: %v", err)
	} else {
		l.Close()
	}
}

func TestServer_MakesTLSCertificateOnceAndReusesIt(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	dir := t.TempDir()
	cfg := Config{TLS: "127.0.0.1:0", DataDir: dir}
	first := peerCert(t, startServer(t, st, clk, cfg))
	pem1, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, keyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	second := peerCert(t, startServer(t, st, clk, cfg))
	if !bytes.Equal(first, second) {
		t.Fatal("a new certificate was made although one existed")
	}
	// An installer's files take precedence.
	other := t.TempDir()
	c, k, err := selfSigned("192.0.2.1", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(other, "c.pem"), c, 0o644)
	os.WriteFile(filepath.Join(other, "k.pem"), k, 0o600)
	third := peerCert(t, startServer(t, st, clk, Config{TLS: "127.0.0.1:0", DataDir: dir,
		TLSCertFile: filepath.Join(other, "c.pem"), TLSKeyFile: filepath.Join(other, "k.pem")}))
	if bytes.Equal(first, third) {
		t.Fatal("configured certificate not used")
	}
	if pem2, _ := os.ReadFile(filepath.Join(dir, certFile)); !bytes.Equal(pem1, pem2) {
		t.Fatal("generated certificate rewritten")
	}
}

func peerCert(t *testing.T, srv running) []byte {
	t.Helper()
	defer srv.stop()
	conn, err := tls.Dial("tcp", srv.Addr("tls").String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Raw
}

func TestServer_KeepAliveReachesRegisteredPhones(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	srv.tick <- time.Now()
	eventually(t, "phone got a keep-alive OPTIONS", func() bool { return p.OptionsReceived() == 1 })
	srv.tick <- time.Now()
	eventually(t, "second round", func() bool { return p.OptionsReceived() == 2 })
	if bs := srv.Contacts("1001"); len(bs) != 1 || !bs[0].Reachable {
		t.Fatalf("Contacts = %+v", bs)
	}
}

func TestServer_KeepAliveMarksSilentPhoneUnreachable(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{KeepAliveTimeout: 300 * time.Millisecond})
	// The phone registers a contact nobody answers at, from a socket it
	// then closes.
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	p.Close()
	srv.tick <- time.Now()
	eventually(t, "binding marked unreachable", func() bool {
		bs := srv.Contacts("1001")
		return len(bs) == 1 && !bs[0].Reachable
	})
}

func TestServer_OptionsNeedAuthUnlessFromRegisteredPhone(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	stranger := siptest.NewPhone(t, siptest.WithUser("9999", "Who-Knows-123"))
	res, err := stranger.Do(ctxT(t), stranger.NewRequest(sipmsg.OPTIONS, srv.udp()))
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("stranger OPTIONS: %v, %v; want 403 after the challenge", res, err)
	}
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := p.Register(ctxT(t), srv.udp()); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	res, err = p.Do(ctxT(t), p.NewRequest(sipmsg.OPTIONS, srv.udp()))
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.GetHeader("Allow").Value(), "REGISTER") {
		t.Fatalf("registered phone OPTIONS: %v, %v", res, err)
	}
}

func TestServer_OtherMethodsAuthenticateThenReachHandler(t *testing.T) {
	clk := newTestClock()
	got := make(chan string, 1)
	srv := startServer(t, openStore(t, "", clk), clk, Config{},
		WithHandler("MESSAGE", func(ctx context.Context, r *Request) {
			got <- r.Extension.Number
			r.Tx.Respond(sipmsg.NewResponseFromRequest(r.Request, 202, "Accepted", nil))
		}))
	p := siptest.NewPhone(t, siptest.WithUser("1002", secret1002))
	res, err := p.Do(ctxT(t), p.NewRequest(sipmsg.MESSAGE, srv.udp()))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("MESSAGE: %v, %v; want 202 from the handler", res, err)
	}
	if ext := <-got; ext != "1002" {
		t.Fatalf("handler saw extension %q", ext)
	}
	res, err = p.Do(ctxT(t), p.NewRequest(sipmsg.SUBSCRIBE, srv.udp()))
	if err != nil || res.StatusCode != 405 || !strings.Contains(res.GetHeader("Allow").Value(), "MESSAGE") {
		t.Fatalf("SUBSCRIBE: %v, %v; want 405 listing MESSAGE", res, err)
	}
}

func TestServer_RunAgainAfterThePortWasTaken(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	squatter, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := squatter.LocalAddr().String()
	s, err := New(st, Config{UDP: addr}, WithLogger(quietLogger()), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || errors.Is(err, ErrRunning) {
		squatter.Close()
		t.Fatalf("Run on a taken port = %v, want the listen error", err)
	}
	squatter.Close()

	// The supervisor's next try works once the port is free.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("second Run: %v", err)
	}
	p := siptest.NewPhone(t, siptest.WithUser("1001", secret1001))
	if res, err := p.Register(ctxT(t), s.Addr("udp")); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register after the retry: %v, %v", res, err)
	}
	p.Close()
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("Run after a run that listened = %v, want ErrRunning", err)
	}
}

func TestServer_InstalledCertificateServesAtOnceAndAfterRestart(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, "", clk)
	dir := t.TempDir()
	cfg := Config{TLS: "127.0.0.1:0", DataDir: dir}
	srv := startServer(t, st, clk, cfg)
	dial := func(s running) []byte {
		conn, err := tls.Dial("tcp", s.Addr("tls").String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	generated := dial(srv)

	c, k, err := selfSigned("pbx.example.cn", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := selfSigned("other.example.cn", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][2][]byte{"garbage": {[]byte("not pem"), k}, "key of another": {c, otherKey}} {
		if err := srv.InstallCertificate(bad[0], bad[1]); !errors.Is(err, ErrCertificate) {
			t.Errorf("%s: %v, want ErrCertificate", name, err)
		}
	}
	if err := srv.InstallCertificate(c, k); err != nil {
		t.Fatal(err)
	}
	installed := dial(srv)
	if bytes.Equal(installed, generated) {
		t.Fatal("the installed certificate is not served")
	}
	srv.stop()
	if again := peerCert(t, startServer(t, st, clk, cfg)); !bytes.Equal(again, installed) {
		t.Fatal("the installed certificate was not kept across a restart")
	}
}

// lateTx is a server transaction whose request sipgo looked up a socket
// for only after Run closed the listeners: the socket is one sipgo opened
// for it.
type lateTx struct {
	sipmsg.ServerTransaction
	conn       *lateConn
	terminated bool
}

func (tx *lateTx) Terminate()                    { tx.terminated = true }
func (tx *lateTx) Connection() sipmsg.Connection { return tx.conn }

type lateConn struct {
	sipmsg.Connection
	closed bool
}

func (c *lateConn) Close() error { c.closed = true; return nil }

func TestServer_RequestServedAfterShutdownClosesItsSocket(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	srv.stop()
	tx := &lateTx{conn: &lateConn{}}
	req := sipmsg.NewRequest(sipmsg.OPTIONS, sipmsg.Uri{Scheme: "sip", Host: "127.0.0.1"})
	srv.serve(req, tx)
	if !tx.terminated || !tx.conn.closed {
		t.Fatalf("terminated %v, socket closed %v; want both", tx.terminated, tx.conn.closed)
	}
}
