package webui

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestAgentConsole_PagesFollowTheRoles(t *testing.T) {
	cf := newConsoleFixture(t)
	cases := []struct {
		user, path string
		want       int
	}{
		{"li", "/agent", http.StatusOK},
		{"li", "/wallboard", http.StatusForbidden},
		{"li", "/admin", http.StatusForbidden},
		{"li", "/api/v1/users", http.StatusForbidden},
		{"li", "/api/v1/settings", http.StatusForbidden},
		{"li", "/api/v1/queues/live", http.StatusForbidden},
		{"li", "/api/v1/callbacks", http.StatusForbidden},
		{"boss", "/agent", http.StatusOK},
		{"boss", "/wallboard", http.StatusOK},
		{"boss", "/api/v1/users", http.StatusForbidden},
		{"admin", "/wallboard", http.StatusOK},
		{"admin", "/agent", http.StatusForbidden},
	}
	browsers := map[string]*browser{}
	for _, c := range cases {
		b := browsers[c.user]
		if b == nil {
			b = cf.browser()
			b.login(c.user, testPassword)
			browsers[c.user] = b
		}
		if r := b.get(c.path); r.StatusCode != c.want {
			t.Errorf("%s GET %s: %d, want %d", c.user, c.path, r.StatusCode, c.want)
		}
	}
	// Without a session the pages lead to the login page.
	wantRedirect(t, cf.browser().get("/wallboard"), "/login")
}

func TestAgentConsole_ShowsTheAgentAndPauseReasonsInTheUsersLanguage(t *testing.T) {
	cf := newConsoleFixture(t)
	b := cf.browser()
	b.login("li", testPassword)
	r := b.get("/agent")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`data-agent="101"`, `value="201"`, `<option value="lunch">`, `<option value="training">`,
		msg(i18n.EN, "agentui.title"), `/assets/agent.js?v=`, `/assets/console.css?v=`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	b.post("/lang", map[string][]string{"lang": {"zh"}, "next": {"/agent"}})
	if r := b.get("/agent"); !strings.Contains(r.Body, msg(i18n.ZH, "agentui.pause")) || !strings.Contains(r.Body, msg(i18n.ZH, "agentui.state.unknown")) {
		t.Errorf("console in zh lacks its words:\n%s", r.Body)
	}

	// A supervisor with no agent record is told so.
	s := cf.browser()
	s.login("boss", testPassword)
	if r := s.get("/agent"); !strings.Contains(r.Body, msg(i18n.EN, "agentui.no-agent")) {
		t.Errorf("no notice for a login without an agent")
	}
}

func TestAgentConsole_RefusesAStateChangeWithoutTheCSRFToken(t *testing.T) {
	cf := newConsoleFixture(t)
	b := cf.browser()
	b.login("li", testPassword)
	b.get("/agent")
	h := http.Header{"Content-Type": {"application/json"}}
	r := b.do(http.MethodPost, "/api/v1/agents/101/login", strings.NewReader(`{"extension":"201"}`), h)
	wantStatus(t, r, http.StatusForbidden)
	h.Set("X-CSRF-Token", "not-the-token")
	r = b.do(http.MethodPost, "/api/v1/agents/101/login", strings.NewReader(`{"extension":"201"}`), h)
	wantStatus(t, r, http.StatusForbidden)
	if a, _ := cf.acd.Dispatcher().Agent("101"); a.State != "loggedout" {
		t.Fatalf("agent state %q after refused requests", a.State)
	}

	// With the page's token the same request logs the agent in; another
	// agent's record stays out of reach.
	wantStatus(t, b.json(http.MethodPost, "/api/v1/agents/101/login", map[string]string{"extension": "201"}), http.StatusNoContent)
	if a, _ := cf.acd.Dispatcher().Agent("101"); a.State != "available" {
		t.Fatalf("agent state %q after login", a.State)
	}
	wantStatus(t, b.json(http.MethodPost, "/api/v1/agents/102/login", map[string]string{"extension": "202"}), http.StatusForbidden)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/agents/101/pause", map[string]string{"reason": "lunch"}), http.StatusNoContent)
	if a, _ := cf.acd.Dispatcher().Agent("101"); a.State != "paused" || a.Reason != "lunch" {
		t.Fatalf("agent %q %q after pause", a.State, a.Reason)
	}
}

func TestAgentPop_EscapesCustomerFieldsAndIsOnlyForItsAgent(t *testing.T) {
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: `<script>alert("x")</script>Li Lei`, Company: `<b>ACME</b> & Co`,
		Notes: `<img src=x onerror=alert(1)>`, Email: `li@example.com`, Numbers: []string{"+8613812345678"}, VIP: true})
	put(t, cf.st, store.Script{Queue: "sales", Title: "Sales <i>script</i>", Start: "q1", Nodes: []store.ScriptNode{
		{ID: "q1", Type: "choice", Text: "Ask for the <order> number", Choices: []store.ScriptNodeChoice{{Value: "y", Label: "Has it", Next: "q2"}, {Value: "n", Label: "Not yet", Next: "q2"}}},
		{ID: "q2", Type: "text", Text: "Thank the caller"},
	}})
	p := cf.offer("call-1", "013812345678")
	if !p.Found {
		t.Fatalf("customer not found: %+v", p)
	}
	b := cf.browser()
	b.login("li", testPassword)
	r := b.get("/agent/pop/call-1")
	wantStatus(t, r, http.StatusOK)
	for _, bad := range []string{"<script>alert", "<b>ACME", "<img", "<i>script", "<order>"} {
		if strings.Contains(r.Body, bad) {
			t.Errorf("pop carries raw %q:\n%s", bad, r.Body)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Li Lei", "&lt;b&gt;ACME&lt;/b&gt; &amp; Co",
		"&lt;img src=x onerror=alert(1)&gt;", "&#43;8613812345678", "menu:1", "A-778", "Ask for the &lt;order&gt; number",
		"Thank the caller", "0:42", `class="badge vip"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("pop lacks %q:\n%s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "<html") {
		t.Error("pop is a whole page, want a fragment")
	}

	// Tom is not the agent the call was offered to.
	tom := cf.browser()
	tom.login("tom", testPassword)
	wantStatus(t, tom.get("/agent/pop/call-1"), http.StatusForbidden)
	wantStatus(t, b.get("/agent/pop/nope"), http.StatusNotFound)
	boss := cf.browser()
	boss.login("boss", testPassword)
	wantStatus(t, boss.get("/agent/pop/call-1"), http.StatusOK)
}

func TestAgentCallbacks_ListsTheAgentsQueuesOnly(t *testing.T) {
	cf := newConsoleFixture(t)
	now := time.Now()
	put(t, cf.st, store.Callback{ID: "cb-1", Queue: "sales", Number: "13800000001", CallerName: "<b>Wang</b>", Joined: now, Seq: 1, CreatedAt: now, State: "pending"})
	put(t, cf.st, store.Callback{ID: "cb-2", Queue: "vip", Number: "13800000002", Joined: now, Seq: 2, CreatedAt: now, State: "pending"})
	if err := cf.acd.Dispatcher().Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := cf.browser()
	b.login("li", testPassword)
	r := b.get("/agent/callbacks")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "13800000001") || strings.Contains(r.Body, "13800000002") {
		t.Errorf("li's callbacks:\n%s", r.Body)
	}
	if strings.Contains(r.Body, "<b>Wang") || !strings.Contains(r.Body, "&lt;b&gt;Wang") {
		t.Errorf("caller name not escaped:\n%s", r.Body)
	}
	boss := cf.browser()
	boss.login("boss", testPassword)
	if r := boss.get("/agent/callbacks"); !strings.Contains(r.Body, "13800000002") {
		t.Errorf("supervisor's callbacks:\n%s", r.Body)
	}
}

func TestWallboard_OffersTheSupervisorsPhones(t *testing.T) {
	cf := newConsoleFixture(t)
	b := cf.browser()
	b.login("boss", testPassword)
	r := b.get("/wallboard")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`<option value="401">401 Boss</option>`, `id="queue-tpl"`, `/assets/wallboard.js?v=`,
		msg(i18n.EN, "agentui.board.sl")} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("wallboard lacks %q", want)
		}
	}
}

func TestScriptSteps_WalksEveryBranchOnce(t *testing.T) {
	sc := &store.Script{Start: "a", Nodes: []store.ScriptNode{
		{ID: "c", Text: "C", Next: "a"}, {ID: "a", Text: "A", Choices: []store.ScriptNodeChoice{{Next: "b"}, {Next: "c"}}},
		{ID: "b", Text: "B", Next: "missing"},
	}}
	var got []string
	for _, n := range scriptSteps(sc) {
		got = append(got, n.ID)
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("steps %v, want a,b,c", got)
	}
	if scriptSteps(nil) != nil {
		t.Fatal("steps of no script")
	}
}

func TestClockDuration_WritesMinutesAndHours(t *testing.T) {
	for d, want := range map[int]string{0: "0:00", 42: "0:42", 61: "1:01", 3600: "1:00:00", 3725: "1:02:05", -5: "0:00"} {
		if got := clockDuration(time.Duration(d) * time.Second); got != want {
			t.Errorf("clockDuration(%ds) = %q, want %q", d, got, want)
		}
	}
}

// BenchmarkAgentPop measures the screen pop fragment a console fetches on
// each ring: session and role check, the hub's pop, the template.
func BenchmarkAgentPop(b *testing.B) {
	cf := newConsoleFixture(b)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Company: "Acme", Numbers: []string{"+8613812345678"}})
	cf.offer("call-1", "013812345678")
	br := cf.browser()
	br.login("li", testPassword)
	b.ReportAllocs()
	for b.Loop() {
		if r := br.get("/agent/pop/call-1"); r.StatusCode != http.StatusOK {
			b.Fatalf("pop: %d", r.StatusCode)
		}
	}
}

// The pop shows the installer's custom fields under their labels, only
// those marked for it, with the VIP level and tags as badges.
func TestAgentPop_ShowsCustomFieldsByTheirDefinitions(t *testing.T) {
	cf := newConsoleFixture(t)
	put(t, cf.st, store.CustomerField{Name: "plan", LabelEN: "Service plan", LabelZH: "服务套餐", Type: store.FieldText, ShowInPop: true})
	put(t, cf.st, store.CustomerField{Name: "taxid", LabelEN: "Tax ID", Type: store.FieldText})
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}, VIPLevel: 4,
		Tags: []string{"gold", "<b>late</b>"}, Fields: map[string]string{"plan": "Enterprise", "taxid": "91310000X"}})
	cf.offer("call-1", "013812345678")
	b := cf.browser()
	b.login("li", testPassword)
	r := b.get("/agent/pop/call-1")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{"<th>Service plan</th><td>Enterprise</td>", `<span class="badge vip">VIP 4</span>`,
		`<span class="badge tag">gold</span>`, `<span class="badge tag">&lt;b&gt;late&lt;/b&gt;</span>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("pop lacks %q:\n%s", want, r.Body)
		}
	}
	for _, hidden := range []string{"91310000X", "Tax ID", ">vipLevel<", ">tags<", ">plan<"} {
		if strings.Contains(r.Body, hidden) {
			t.Errorf("pop shows %q:\n%s", hidden, r.Body)
		}
	}
}
