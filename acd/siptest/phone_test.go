package siptest

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// lateTx is a server transaction whose request sipgo looked up a socket
// for only after Close: the socket is one sipgo opened for it.
type lateTx struct {
	sip.ServerTransaction
	conn       *lateConn
	terminated bool
}

func (tx *lateTx) Terminate()                 { tx.terminated = true }
func (tx *lateTx) Connection() sip.Connection { return tx.conn }

type lateConn struct {
	sip.Connection
	closed bool
}

func (c *lateConn) Close() error { c.closed = true; return nil }

func TestPhone_RequestReachingAHandlerAfterCloseClosesItsSocket(t *testing.T) {
	p := NewPhone(t)
	p.Close()
	tx := &lateTx{conn: &lateConn{}}
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "127.0.0.1"})
	p.dropLate(func(*sip.Request, sip.ServerTransaction) { t.Error("handler ran after Close") })(req, tx)
	if !tx.terminated || !tx.conn.closed {
		t.Fatalf("terminated %v, socket closed %v; want both", tx.terminated, tx.conn.closed)
	}
}
