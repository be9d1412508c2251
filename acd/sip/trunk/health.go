package trunk

import (
	"context"
	"errors"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// healthLoop pings the carrier with OPTIONS every OptionsInterval until
// ctx ends. Any response counts as an answer: a carrier that answers 404
// or 405 to OPTIONS is still there.
func (e *entry) healthLoop(ctx context.Context) {
	every := time.Duration(e.rec.OptionsInterval) * time.Second
	for {
		rtt, err := e.ping(ctx)
		if ctx.Err() != nil {
			return
		}
		e.noteHealth(rtt, err)
		select {
		case <-ctx.Done():
			return
		case <-e.s.clock.After(every):
		}
	}
}

// noteHealth counts one ping's outcome towards the up/down verdict.
func (e *entry) noteHealth(rtt time.Duration, err error) {
	cfg := e.s.cfg
	e.mu.Lock()
	defer e.mu.Unlock()
	was := e.health
	if err == nil {
		e.okRun++
		e.failRun = 0
		e.rtt = rtt
		// The first answer settles an unknown state; after a failure the
		// carrier must answer UpAfter times.
		if e.health == HealthUnknown || e.okRun >= cfg.UpAfter {
			e.health = HealthUp
		}
	} else {
		e.failRun++
		e.okRun = 0
		e.lastErr = "OPTIONS: " + err.Error()
		if e.failRun >= cfg.DownAfter {
			e.health = HealthDown
		}
	}
	if e.health != was {
		if e.health == HealthDown {
			e.s.log.Warn("trunk: down", "trunk", e.rec.Name, "unanswered", e.failRun, "error", err)
		} else {
			e.s.log.Info("trunk: up", "trunk", e.rec.Name, "rtt", rtt)
		}
	}
}

// errNoAnswer is a ping that got no response in time.
var errNoAnswer = errors.New("no answer")

// ping sends one OPTIONS and returns the round-trip time.
func (e *entry) ping(ctx context.Context) (time.Duration, error) {
	e.s.mu.Lock()
	cl := e.s.cl
	e.s.mu.Unlock()
	if cl == nil {
		return 0, errors.New("SIP client not ready")
	}
	target := sipmsg.Uri{Scheme: "sip", Host: e.rec.Host, Port: e.rec.Port}
	transport := "UDP"
	switch e.rec.Transport {
	case "tcp":
		transport = "TCP"
		target.UriParams = sipmsg.NewParams()
		target.UriParams.Add("transport", "tcp")
	case "tls":
		transport = "TLS"
		target.Scheme = "sips"
	}
	req := sipmsg.NewRequest(sipmsg.OPTIONS, target)
	req.SetTransport(transport)
	if d := e.destination(); d != "" {
		req.SetDestination(d)
	}
	local := e.s.localAddr()
	user := e.token
	if user == "" {
		user = "callbox"
	}
	from := &sipmsg.FromHeader{Address: sipmsg.Uri{Scheme: "sip", User: user, Host: local.Addr().String()},
		Params: sipmsg.NewParams()}
	from.Params.Add("tag", sipmsg.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sipmsg.ToHeader{Address: target, Params: sipmsg.NewParams()})
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "callbox"))
	e.s.setLaddr(req)
	ctx, cancel := context.WithTimeout(ctx, e.s.cfg.PingTimeout)
	defer cancel()
	start := time.Now()
	_, err := cl.Do(ctx, req)
	rtt := time.Since(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, errNoAnswer
		}
		return 0, err
	}
	return rtt, nil
}
