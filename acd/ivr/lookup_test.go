package ivr

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// lookupFlow: lookup -> ok / error / timeout, each a play of its own name
// so the path says which branch ran.
func lookupFlow(t *testing.T, settings string, withTimeout bool) *Flow {
	t.Helper()
	exits := `{"ok":"ok","error":"error"}`
	if withTimeout {
		exits = `{"ok":"ok","error":"error","timeout":"timeout"}`
	}
	play := func(id string) string {
		return `{"id":"` + id + `","type":"play","settings":{"prompts":[{"key":"thank-you"}]},"exits":{"next":"end"}}`
	}
	nodes := []string{start("k"), `{"id":"k","type":"lookup","settings":` + settings + `,"exits":` + exits + `}`,
		play("ok"), play("error"), hangupN}
	if withTimeout {
		nodes = append(nodes, play("timeout"))
	}
	return mustCompile(t, flowDoc(nodes...), 1)
}

func runLookup(t *testing.T, f *Flow, in Input) Result {
	t.Helper()
	res, err := NewEngine().Run(context.Background(), f, newFakeCall(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLookup_MapsAnswerFieldsIntoVariables(t *testing.T) {
	var mu sync.Mutex
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotPath, gotQuery = r.URL.EscapedPath(), r.URL.RawQuery
		mu.Unlock()
		io.WriteString(w, `{"order":{"status":"shipped","days":2,"paid":true,"items":[{"name":"tea"}],"note":null}}`)
	}))
	defer srv.Close()
	f := lookupFlow(t, `{"url":"`+srv.URL+`/orders/{{order}}?caller={{ani}}","timeoutMs":5000,
		"map":{"status":"order.status","days":"order.days","paid":"order.paid","first":"order.items.0.name","note":"order.note","gone":"order.nothing"}}`, true)
	res := runLookup(t, f, Input{ANI: "138 0000&x=1", Vars: map[string]string{"order": "12/34"}})
	if p := strings.Join(res.Path(), ">"); p != "start>k>ok>end" {
		t.Fatalf("path %s, steps %+v", p, res.Steps)
	}
	want := map[string]string{"status": "shipped", "days": "2", "paid": "true", "first": "tea", "note": "", "gone": ""}
	for k, v := range want {
		if res.Vars[k] != v {
			t.Errorf("%s = %q, want %q", k, res.Vars[k], v)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The caller's digits stay one path segment and one parameter.
	if gotPath != "/orders/12%2F34" || gotQuery != "caller=138%200000%26x%3D1" {
		t.Errorf("request path %q query %q", gotPath, gotQuery)
	}
}

func TestLookup_PostsATemplatedJSONBody(t *testing.T) {
	var mu sync.Mutex
	var body map[string]string
	var ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ctype = r.Header.Get("Content-Type")
		if r.Method != http.MethodPost || r.Header.Get("X-Api-Key") != "k-1" {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"name":"Li %s"}`, body["phone"])
	}))
	defer srv.Close()
	f := lookupFlow(t, `{"method":"POST","url":"`+srv.URL+`/customers","headers":{"X-Api-Key":"k-1"},
		"body":{"phone":"{{ani}}","line":"{{dnis}}"},"map":{"customer.name":"name"}}`, false)
	res := runLookup(t, f, Input{ANI: "13800001111", DNIS: "80081"})
	mu.Lock()
	defer mu.Unlock()
	if res.Vars["customer.name"] != "Li 13800001111" || body["line"] != "80081" || ctype != "application/json" {
		t.Fatalf("vars %v body %v type %q steps %+v", res.Vars, body, ctype, res.Steps)
	}
}

func TestLookup_FailsSafe(t *testing.T) {
	slowRelease := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers only when the client gives up (or the test ends).
		select {
		case <-r.Context().Done():
		case <-slowRelease:
		}
	}))
	defer slow.Close()
	defer close(slowRelease)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database down", http.StatusInternalServerError)
	}))
	defer broken.Close()
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>login</html>")
	}))
	defer notJSON.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"x":"`+strings.Repeat("a", maxLookupBody)+`"}`)
	}))
	defer huge.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // nothing listens there any more

	cases := []struct {
		name, url   string
		withTimeout bool
		path        string
	}{
		{"service down", downURL, true, "start>k>error>end"},
		{"slow beyond the timeout", slow.URL, true, "start>k>timeout>end"},
		{"slow without a timeout exit takes error", slow.URL, false, "start>k>error>end"},
		{"HTTP 500", broken.URL, true, "start>k>error>end"},
		{"answer not JSON", notJSON.URL, true, "start>k>error>end"},
		{"answer too large", huge.URL, true, "start>k>error>end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Only the slow service needs a short timeout; the others get
			// one a loaded machine cannot hit, so they fail for their own
			// reason and not for time.
			timeout := 10000
			if c.url == slow.URL {
				timeout = 100
			}
			f := lookupFlow(t, fmt.Sprintf(`{"url":"%s/x","timeoutMs":%d,"map":{"a":"a"}}`, c.url, timeout), c.withTimeout)
			res := runLookup(t, f, Input{})
			if p := strings.Join(res.Path(), ">"); p != c.path {
				t.Fatalf("path %s, want %s", p, c.path)
			}
			if res.Steps[1].Detail == "" {
				t.Error("the failure is not in the step log")
			}
		})
	}
}

func TestLookup_CallerHangupStopsTheRequest(t *testing.T) {
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := lookupFlow(t, `{"url":"`+srv.URL+`/x","timeoutMs":30000}`, true)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	res, err := NewEngine().Run(ctx, f, newFakeCall(), Input{})
	if err == nil || res.End != EndCaller {
		t.Fatalf("end %s err %v", res.End, err)
	}
}
