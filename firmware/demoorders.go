package firmware

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// demoOrdersHost is the host name the demo flow's order lookup uses. It
// never reaches the network: demoDoer answers it in-process with
// ivr.DemoOrders, so the demo needs no extra listener and a real site's
// flows keep using the network as usual.
const demoOrdersHost = "demo-orders.invalid"

// lookupTimeout bounds a flow's HTTP lookup when the node sets none.
const lookupTimeout = 10 * time.Second

// demoDoer serves requests for demoOrdersHost with orders and sends the
// rest out with next.
type demoDoer struct {
	orders http.Handler
	next   *http.Client
}

// Do implements ivr.Doer.
func (d demoDoer) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Host != demoOrdersHost {
		return d.next.Do(req)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rec := &responseRecorder{header: http.Header{}, status: http.StatusOK}
	d.orders.ServeHTTP(rec, req)
	return &http.Response{Status: http.StatusText(rec.status), StatusCode: rec.status, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: rec.header, Body: io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()), Request: req}, nil
}

// responseRecorder is the in-process http.ResponseWriter of demoDoer.
type responseRecorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *responseRecorder) Header() http.Header { return r.header }

func (r *responseRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
