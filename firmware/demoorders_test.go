package firmware

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"callbox/acd/ivr"
)

func TestDemoDoer_AnswersTheDemoHostInProcessAndPassesTheRest(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "site") }))
	defer site.Close()
	d := demoDoer{orders: ivr.DemoOrders(), next: site.Client()}
	get := func(url string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := d.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get(demoOrdersURL + "/12344")
	var got struct {
		Order struct{ Status string } `json:"order"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK || got.Order.Status == "" {
		t.Fatalf("demo order: %d %q %v", resp.StatusCode, body, err)
	}
	if resp, _ := get(demoOrdersURL + "/01234"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown demo order: %d", resp.StatusCode)
	}
	if _, body := get(site.URL + "/x"); string(body) != "site" {
		t.Fatalf("other hosts: %q", body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, demoOrdersURL+"/12344", nil)
	if _, err := d.Do(req); err == nil {
		t.Fatal("a cancelled lookup was answered")
	}
}
