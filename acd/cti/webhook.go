package cti

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/firmware/store"
)

// Webhook request headers.
const (
	HeaderSignature = "X-Callbox-Signature" // "t=<unix seconds>,v1=<hex HMAC-SHA256>"
	HeaderEvent     = "X-Callbox-Event"     // the event type
	HeaderDelivery  = "X-Callbox-Delivery"  // "<webhook>-<event ID>", the same on every retry
)

// Sign returns the signature header of body sent at t: HMAC-SHA256 under
// secret of "<unix seconds>.<body>". Signing the time too lets a receiver
// refuse a replayed old request.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a signature header as a receiver does: it must
// parse, be no older (or newer) than tolerance at now, and match body.
// It returns ErrBadSignature otherwise.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed", ErrBadSignature)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return fmt.Errorf("%w: malformed v1", ErrBadSignature)
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: no time or signature", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: sent %v from now", ErrBadSignature, d.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: does not match", ErrBadSignature)
}

// Delivery is one attempt to deliver an event to a webhook, as the
// delivery log keeps it.
type Delivery struct {
	Webhook string    `json:"webhook"`
	Event   uint64    `json:"event"`
	Type    string    `json:"type"`
	Attempt int       `json:"attempt"` // 1 is the first
	Status  int       `json:"status,omitempty"`
	Error   string    `json:"error,omitempty"`
	OK      bool      `json:"ok"`
	Final   bool      `json:"final"` // no attempt follows
	At      time.Time `json:"at"`
	Latency string    `json:"latency"`
}

// WebhookStatus is the webhooks' state for the status page.
type WebhookStatus struct {
	Queued    int        `json:"queued"`
	Capacity  int        `json:"capacity"`
	Delivered uint64     `json:"delivered"`
	Failed    uint64     `json:"failed"`
	Dropped   uint64     `json:"dropped"` // the queue was full
	Recent    []Delivery `json:"recent"`  // newest first
}

// deliveryLog is how many attempts the log keeps.
const deliveryLog = 200

type job struct {
	hook store.Webhook
	ev   Event
}

type webhooks struct {
	h      *Hub
	client *http.Client
	queue  chan job

	mu        sync.Mutex
	seq       uint64 // store sequence the cache was read at
	loaded    bool
	cache     []store.Webhook
	log       []Delivery // ring, next write at logNext
	logNext   int
	delivered uint64
	failed    uint64
	dropped   uint64
}

func newWebhooks(h *Hub) *webhooks {
	c := h.cfg.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: h.cfg.WebhookTimeout,
			// A webhook is one URL: a redirect elsewhere is not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &webhooks{h: h, client: c, queue: make(chan job, h.cfg.WebhookQueue)}
}

// hooks returns the enabled webhooks, re-read when the store changed.
func (w *webhooks) hooks() []store.Webhook {
	seq := w.h.st.Seq()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.loaded && seq == w.seq {
		return w.cache
	}
	all, err := store.List[store.Webhook](w.h.st)
	if err != nil {
		w.h.log.Error("cti: read webhooks", "err", err)
		return w.cache
	}
	w.cache = slices.DeleteFunc(all, func(x store.Webhook) bool { return !x.Enabled })
	w.seq, w.loaded = seq, true
	return w.cache
}

// enqueue queues e for every webhook that wants it, never waiting: a full
// queue drops the delivery and logs it.
func (w *webhooks) enqueue(e Event) {
	for _, hk := range w.hooks() {
		if !wants(hk.Events, e.Type) {
			continue
		}
		select {
		case w.queue <- job{hook: hk, ev: e}:
		default:
			w.record(Delivery{Webhook: hk.ID, Event: e.ID, Type: e.Type, Error: "queue full", Final: true, At: w.h.now()}, false, true)
			w.h.log.Warn("cti: webhook queue full, delivery dropped", "webhook", hk.ID, "event", e.ID)
		}
	}
}

// wants reports whether a webhook listing events gets an event of typ.
// An empty list or "*" means every event except the wallboard figures,
// which come every second per queue: a webhook gets those only by naming
// them.
func wants(events []string, typ string) bool {
	if slices.Contains(events, typ) {
		return true
	}
	if typ == EventQueueStats {
		return false
	}
	return len(events) == 0 || slices.Contains(events, "*")
}

func (w *webhooks) record(d Delivery, ok, dropped bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.log) < deliveryLog {
		w.log = append(w.log, d)
	} else {
		w.log[w.logNext] = d
	}
	w.logNext = (w.logNext + 1) % deliveryLog
	switch {
	case dropped:
		w.dropped++
	case ok:
		w.delivered++
	case d.Final:
		w.failed++
	}
}

// work delivers queued jobs until ctx ends.
func (w *webhooks) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-w.queue:
			w.deliver(ctx, j)
		}
	}
}

// deliver posts one event, retrying with doubling waits.
func (w *webhooks) deliver(ctx context.Context, j job) {
	body, err := json.Marshal(j.ev)
	if err != nil {
		return
	}
	backoff := w.h.cfg.WebhookBackoff
	attempts := 1 + max(w.h.cfg.WebhookRetries, 0)
	for a := 1; a <= attempts; a++ {
		start := w.h.now()
		status, err := w.post(ctx, j, body)
		ok := err == nil && status >= 200 && status < 300
		d := Delivery{Webhook: j.hook.ID, Event: j.ev.ID, Type: j.ev.Type, Attempt: a, Status: status, OK: ok,
			Final: ok || a == attempts || ctx.Err() != nil, At: start, Latency: w.h.now().Sub(start).String()}
		if err != nil {
			d.Error = err.Error()
		} else if !ok {
			d.Error = http.StatusText(status)
		}
		w.record(d, ok, false)
		if d.Final {
			if !ok {
				w.h.log.Warn("cti: webhook failed", "webhook", j.hook.ID, "event", j.ev.ID, "attempts", a, "err", d.Error)
			}
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff *= 2
	}
}

func (w *webhooks) post(ctx context.Context, j job, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.h.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.hook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callbox-webhook/1")
	req.Header.Set(HeaderEvent, j.ev.Type)
	req.Header.Set(HeaderDelivery, j.hook.ID+"-"+strconv.FormatUint(j.ev.ID, 10))
	req.Header.Set(HeaderSignature, Sign(j.hook.Secret, w.h.now(), body))
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}

func (w *webhooks) status() WebhookStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := WebhookStatus{Queued: len(w.queue), Capacity: cap(w.queue), Delivered: w.delivered, Failed: w.failed, Dropped: w.dropped,
		Recent: make([]Delivery, 0, len(w.log))}
	for i := range len(w.log) {
		idx := (w.logNext - 1 - i + 2*deliveryLog) % deliveryLog
		if idx >= len(w.log) {
			continue
		}
		s.Recent = append(s.Recent, w.log[idx])
	}
	return s
}

// Deliveries returns the delivery log, newest first.
func (h *Hub) Deliveries() []Delivery { return h.hooks.status().Recent }
