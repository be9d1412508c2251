package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callbox/acd/directory"
)

// Lookup limits.
const (
	defaultLookupTimeout = 3 * time.Second
	maxLookupTimeoutMs   = 30_000
	// maxLookupBody bounds the answer read from an outside system.
	maxLookupBody = 64 << 10
)

// lookupNode asks an outside system (ERP, CRM) over HTTP and maps fields
// of its JSON answer into variables. Any failure takes the error exit (or
// timeout), so a broken system never strands a caller.
type lookupNode struct {
	// Method is GET (default) or POST.
	Method string `json:"method,omitempty"`
	// URL may use {{var}}; values are escaped so a caller's digits cannot
	// change the path or add parameters.
	URL string `json:"url"`
	// Body, for POST, is sent as a JSON object of templated strings.
	Body      map[string]string `json:"body,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	TimeoutMs int               `json:"timeoutMs,omitempty"`
	// Map sets variable (key) from a dotted path into the answer
	// ("order.status", "items.0.name").
	Map map[string]string `json:"map,omitempty"`
}

func (n *lookupNode) check(c *checker) {
	switch n.Method {
	case "", http.MethodGet:
		if len(n.Body) > 0 {
			c.add("body", "ivr.problem.body-needs-post")
		}
	case http.MethodPost:
	default:
		c.bad("method", n.Method)
	}
	c.require("url", n.URL != "")
	if n.URL != "" {
		u, err := url.Parse(strings.NewReplacer("{{", "", "}}", "").Replace(n.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.bad("url", n.URL)
		}
		c.template("url", n.URL)
	}
	for _, k := range sortedKeys(n.Body) {
		c.template("body."+k, n.Body[k])
	}
	for _, k := range sortedKeys(n.Headers) {
		if k == "" || strings.ContainsAny(k, " :\r\n") || strings.ContainsAny(n.Headers[k], "\r\n") {
			c.bad("headers", k)
		}
		c.template("headers."+k, n.Headers[k])
	}
	c.intRange("timeoutMs", n.TimeoutMs, 0, maxLookupTimeoutMs)
	for _, k := range sortedKeys(n.Map) {
		c.variable("map", k)
		c.require("map."+k, n.Map[k] != "")
	}
}

func (n *lookupNode) timeout() time.Duration {
	if n.TimeoutMs == 0 {
		return defaultLookupTimeout
	}
	return time.Duration(n.TimeoutMs) * time.Millisecond
}

func (n *lookupNode) run(ctx context.Context, r *runner) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, n.timeout())
	defer cancel()
	answer, err := n.fetch(lctx, r)
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(lctx.Err(), context.DeadlineExceeded):
		r.fail(ctx, "lookup", fmt.Errorf("no answer within %v", n.timeout()))
		if r.node.exits["timeout"] != "" {
			return "timeout", nil
		}
		return "error", nil
	case err != nil:
		r.fail(ctx, "lookup", err)
		return "error", nil
	}
	var found []string
	for _, k := range sortedKeys(n.Map) {
		v, ok := directory.PickJSON(answer, n.Map[k])
		r.vars[k] = v
		if ok {
			found = append(found, k+"="+v)
		}
	}
	r.step.Detail = strings.Join(found, " ")
	return "ok", nil
}

func (n *lookupNode) fetch(ctx context.Context, r *runner) (any, error) {
	method := n.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if method == http.MethodPost {
		vals := make(map[string]string, len(n.Body))
		for k, t := range n.Body {
			vals[k] = r.expand(t, nil)
		}
		b, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.expand(n.URL, urlEscape), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, t := range n.Headers {
		req.Header.Set(k, r.expand(t, nil))
	}
	resp, err := r.e.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxLookupBody+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if len(data) > maxLookupBody {
		return nil, fmt.Errorf("answer larger than %d bytes", maxLookupBody)
	}
	var answer any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&answer); err != nil {
		return nil, fmt.Errorf("answer is not JSON: %w", err)
	}
	return answer, nil
}
