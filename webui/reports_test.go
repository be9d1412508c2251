package webui

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd/queue"
	"callbox/acd/servicelevel"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/record"
	"callbox/media/wav"
)

// reportsFixture is a finished setup with an administrator ("admin"), a
// supervisor ("boss") and an agent ("ann"), plus agents and a queue.
func reportsFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	f.addUser("boss", store.RoleSupervisor, testPassword, false)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	put := func(r store.Record) {
		t.Helper()
		if _, err := store.PutAll(f.st, r); err != nil {
			t.Fatalf("put %T: %v", r, err)
		}
	}
	put(store.Skill{Name: "sales"})
	put(store.Agent{ID: "1001", Name: "<img src=x onerror=alert(1)>", Enabled: true})
	put(store.Agent{ID: "1002", Name: "王芳", Enabled: true})
	put(store.Queue{Name: "sales", Strategy: store.StrategyRingAll})
	return f
}

// testRecording records a one-second call the way the box records one
// (acd/queue: μ-law stereo), a tone on each side, and returns the file's
// bytes.
func testRecording(t *testing.T, path string) []byte {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := record.Create(path, record.Stereo, record.ULaw)
	if err != nil {
		t.Fatal(err)
	}
	caller := audiotest.Frames(audiotest.Sine(440, 8000, media.SampleRate))
	other := audiotest.Frames(audiotest.Sine(1000, 8000, media.SampleRate))
	for i := range caller {
		if err := r.Write(&caller[i], &other[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The seeded calls' IDs: like the switch's call IDs, each a store.NewID of
// the call's start, so the reports find them by date range.
const (
	idC1 = "20260301T080000.000000Z-c1"
	idC2 = "20260301T080100.000000Z-c2"
	idC3 = "20260227T080000.000000Z-c3"
	idC4 = "20260130T080000.000000Z-c4"
)

// seedCalls stores call records around the fixture's clock (2026-03-01
// 09:00 UTC) and one recording file in the data directory.
func seedCalls(t *testing.T, f *fixture) {
	t.Helper()
	at := f.clock.Now().Add(-time.Hour)
	testRecording(t, filepath.Join(filepath.Dir(f.st.Path()), "rec", "2026", "c1.wav"))
	recs := []store.Record{
		store.Recording{ID: "r1", Path: "rec/2026/c1.wav", SHA256: strings.Repeat("a", 64), Duration: time.Second, CallID: idC1, CreatedAt: at},
		store.Recording{ID: "evil", Path: "rec/2026/c1.sh", SHA256: strings.Repeat("b", 64), Duration: time.Second, CallID: idC2, CreatedAt: at},
		store.CDR{ID: idC1, Caller: "13800138000", CallerName: "<script>alert('x')</script>", Callee: "4008001234", Direction: store.DirectionIn,
			Queue: "sales", Agent: "1001", Start: at, Answer: at.Add(12 * time.Second), End: at.Add(3*time.Minute + 12*time.Second),
			Disposition: store.DispositionAnswered, Recording: "r1"},
		store.CDR{ID: idC2, Caller: "=HYPERLINK(\"http://x\")", CallerName: "@SUM(A1)", Callee: "+4008001234", Direction: store.DirectionIn,
			Queue: "sales", Start: at.Add(time.Minute), End: at.Add(2 * time.Minute), Disposition: store.DispositionAbandoned},
		store.CDR{ID: idC3, Caller: "13900139000", CallerName: "-1+1", Callee: "201", Direction: store.DirectionIn,
			Agent: "1002", Start: at.Add(-48 * time.Hour), Answer: at.Add(-48*time.Hour + 5*time.Second), End: at.Add(-47 * time.Hour),
			Disposition: store.DispositionAnswered},
		store.CDR{ID: idC4, Caller: "13700137000", Callee: "201", Direction: store.DirectionIn,
			Start: at.Add(-30 * 24 * time.Hour), End: at.Add(-30*24*time.Hour + time.Minute), Disposition: store.DispositionNoAnswer},
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func TestReports_AgentIsRefusedEveryReportAndDesignerPage(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	b := f.browser()
	b.login("ann", testPassword)
	for _, p := range []string{"/reports", "/reports/cdrs.csv", "/reports/recordings/r1", "/reports/recordings/r1?download=1",
		"/reports/queues", "/reports/agents", "/designer", "/designer/flow/main", "/designer/open?id=x", "/designer/schema.json"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusForbidden)
		if strings.Contains(r.Body, "RIFF") || strings.Contains(r.Body, "13800138000") {
			t.Fatalf("%s leaked data to an agent", p)
		}
	}
	if has, _ := store.AuditTail(f.st, 10); len(has) != 0 {
		t.Fatalf("refused requests wrote audit entries: %+v", has)
	}
	// A supervisor reads reports but not the designer.
	s := f.browser()
	s.login("boss", testPassword)
	wantStatus(t, s.get("/reports"), http.StatusOK)
	wantStatus(t, s.get("/reports/queues"), http.StatusOK)
	wantStatus(t, s.get("/reports/agents"), http.StatusOK)
	wantStatus(t, s.get("/designer"), http.StatusForbidden)
}

func TestDesigner_FlowSaveWithoutCSRFTokenIsRefused(t *testing.T) {
	f := reportsFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	wantStatus(t, b.get("/designer/flow/main"), http.StatusOK)
	doc := map[string]any{"format": 1, "languages": []string{"en"}, "nodes": []map[string]any{{"id": "start", "type": "start", "position": map[string]int{"x": 1, "y": 2}}}}
	token := b.csrf
	b.csrf = ""
	wantStatus(t, b.json(http.MethodPut, "/api/v1/flows/main", doc), http.StatusForbidden)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/flows/main/publish", nil), http.StatusForbidden)
	b.csrf = "forged-" + token
	wantStatus(t, b.json(http.MethodPut, "/api/v1/flows/main", doc), http.StatusForbidden)
	if _, err := store.Get[store.Flow](f.st, "main.draft"); err == nil {
		t.Fatal("a draft was stored without a valid token")
	}
	b.csrf = token
	wantStatus(t, b.json(http.MethodPut, "/api/v1/flows/main", doc), http.StatusOK)
}

func TestReports_StoredHTMLIsEscapedInPagesAndCharts(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	fl := store.Flow{ID: "evil", Version: 1, Name: "<b onmouseover=alert(1)>x</b>", Doc: []byte(`{"format":1,"languages":["en"],"nodes":[]}`)}
	if _, err := store.Put(f.st, fl); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("admin", testPassword)
	pages := map[string]string{
		"/reports?from=2026-02-01&to=2026-03-01":       "<script>alert(",
		"/reports/agents?period=month&date=2026-03-01": "<img src=x",
		"/designer": "<b onmouseover",
	}
	for p, raw := range pages {
		r := b.get(p)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.Body, raw) {
			t.Fatalf("%s shows stored markup %q unescaped", p, raw)
		}
	}
	if r := b.get("/reports/agents?period=month&date=2026-03-01"); !strings.Contains(r.Body, "&lt;img src=x") || !strings.Contains(r.Body, "<svg class=\"chart\"") {
		t.Fatalf("agent report lacks the escaped name or the chart:\n%s", r.Body)
	}
}

func TestReports_CSVExportHasEveryMatchAndDefusesFormulas(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	b := f.browser()
	b.login("boss", testPassword)
	r := b.get("/reports/cdrs.csv?from=2026-02-25&to=2026-03-01")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Fatalf("content disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, r.Body)
	}
	// Header, then c2 (newest), c1, c3; c4 is outside the range.
	if len(rows) != 4 {
		t.Fatalf("got %d rows, want header + 3:\n%s", len(rows), r.Body)
	}
	if rows[0][0] != "id" || rows[1][0] != idC2 || rows[2][0] != idC1 || rows[3][0] != idC3 {
		t.Fatalf("rows out of order: %q", rows)
	}
	c2 := rows[1]
	if c2[2] != `'=HYPERLINK("http://x")` || c2[3] != "'@SUM(A1)" || c2[4] != "'+4008001234" {
		t.Fatalf("formula cells not defused: %q", c2)
	}
	if rows[3][3] != "'-1+1" || rows[3][8] != "王芳" {
		t.Fatalf("row c3: %q", rows[3])
	}
	c1 := rows[2]
	if c1[3] != "<script>alert('x')</script>" || c1[9] != "answered" || c1[10] != "0:12" || c1[11] != "3:00" || c1[13] != "r1" {
		t.Fatalf("row c1: %q", c1)
	}
	// Filters apply to the export as to the page.
	r = b.get("/reports/cdrs.csv?from=2026-02-25&to=2026-03-01&disposition=abandoned")
	if n := strings.Count(strings.TrimSpace(r.Body), "\n"); n != 1 {
		t.Fatalf("filtered export has %d data rows:\n%s", n, r.Body)
	}
	wantStatus(t, b.get("/reports/cdrs.csv?from=yesterday"), http.StatusBadRequest)
}

func TestReports_CallFiltersNarrowTheList(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	count := func(q string) int {
		t.Helper()
		r := b.get("/reports?" + q)
		wantStatus(t, r, http.StatusOK)
		return strings.Count(r.Body, "<tr data-id=")
	}
	cases := map[string]int{
		"":                                     3, // the last seven days
		"from=2026-01-01&to=2026-03-01":        4,
		"from=2026-03-01&to=2026-03-01":        2,
		"number=139&from=2026-01-01":           1,
		"agent=1001&from=2026-01-01":           1,
		"queue=sales":                          2,
		"disposition=answered&from=2026-01-01": 2,
		"disposition=noanswer&from=2026-01-01": 1,
		"from=2026-03-02&to=2026-03-05":        0,
	}
	for q, want := range cases {
		if got := count(q); got != want {
			t.Errorf("%q: %d rows, want %d", q, got, want)
		}
	}
	r := b.get("/reports?from=2026-03-05&to=2026-03-01&disposition=%3Cx%3E")
	wantStatus(t, r, http.StatusBadRequest)
	for _, k := range []string{"reports.err.range", "reports.err.disposition"} {
		if !strings.Contains(r.Body, msg(i18n.EN, k)) {
			t.Errorf("no message %s next to its field", k)
		}
	}
}

func TestReports_RecordingPlaysAndDownloadsWithAuditEntries(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	file, err := os.ReadFile(filepath.Join(filepath.Dir(f.st.Path()), "rec", "2026", "c1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("boss", testPassword)
	r := b.get("/reports/recordings/r1")
	wantStatus(t, r, http.StatusOK)
	// The μ-law file plays as the 16-bit PCM file it decodes to, which
	// every browser plays: one second of stereo.
	if ct := r.Header.Get("Content-Type"); ct != "audio/wav" || !strings.HasPrefix(r.Body, "RIFF") || len(r.Body) != 44+32000 {
		t.Fatalf("play: type %q, %d bytes", ct, len(r.Body))
	}
	h, err := wav.ParseHeader(strings.NewReader(r.Body))
	if err != nil || h.Format != wav.FormatPCM || h.BitsPerSample != 16 || h.Channels != 2 {
		t.Fatalf("played as %+v: %v", h, err)
	}
	ch := h.Split([]byte(r.Body[h.DataOffset:]))
	if !audiotest.HasTone(ch[0], 440, 0.3) || !audiotest.HasTone(ch[1], 1000, 0.3) {
		t.Fatal("the played file lost a party's tone")
	}
	// A player's range request for the rest of the same playback is not
	// a new access.
	r = b.do(http.MethodGet, "/reports/recordings/r1", nil, http.Header{"Range": {"bytes=1001-"}})
	wantStatus(t, r, http.StatusPartialContent)
	if full := b.get("/reports/recordings/r1"); r.Body != full.Body[1001:] {
		t.Fatalf("range from byte 1001: %d bytes, not the rest of the played file", len(r.Body))
	}
	// Nor is the player's second fetch of the start when play is pressed
	// (the first read the length).
	r = b.do(http.MethodGet, "/reports/recordings/r1", nil, http.Header{"Range": {"bytes=0-"}})
	wantStatus(t, r, http.StatusPartialContent)
	r = b.get("/reports/recordings/r1?download=1")
	wantStatus(t, r, http.StatusOK)
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="r1.wav"` {
		t.Fatalf("download disposition %q", cd)
	}
	// A download is the file itself, the one its digest is of.
	if r.Body != string(file) {
		t.Fatalf("download of %d bytes, not the %d-byte file", len(r.Body), len(file))
	}
	audit, err := store.AuditTail(f.st, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != "recording-download" || audit[1].Action != "recording-play" ||
		audit[0].User != "boss" || audit[0].Name != "r1" || audit[0].Of != store.KindRecording || audit[0].Detail != "call "+idC1 {
		t.Fatalf("audit log: %+v", audit)
	}
	// Listening again later is a new entry.
	f.clock.Advance(2 * time.Minute)
	wantStatus(t, b.get("/reports/recordings/r1"), http.StatusOK)
	if audit, err := store.AuditTail(f.st, 10); err != nil || len(audit) != 3 || audit[0].Action != "recording-play" {
		t.Fatalf("audit log after listening again: %+v %v", audit, err)
	}
	// A file that is not a WAV recording, an unknown id: not found.
	wantStatus(t, b.get("/reports/recordings/evil"), http.StatusNotFound)
	wantStatus(t, b.get("/reports/recordings/nope"), http.StatusNotFound)
	// The page offers the player.
	page := b.get("/reports?from=2026-03-01")
	if !strings.Contains(page.Body, `<audio controls preload="none" src="/reports/recordings/r1">`) {
		t.Fatalf("no player on the page:\n%s", page.Body)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "media-src 'self'") {
		t.Fatalf("page policy blocks the player: %q", csp)
	}
}

func TestReports_QueueFiguresByInterval(t *testing.T) {
	f := reportsFixture(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ivs := []store.Record{
		store.QueueInterval{Queue: "sales", Start: day.Add(9 * time.Hour), Offered: 10, Answered: 8, AnsweredInSL: 6, Abandoned: 2, AbandonedShort: 0,
			AnswerWait: 80 * time.Second, LongestWait: 40 * time.Second, Handled: 8, TalkTime: 16 * time.Minute, WrapTime: 4 * time.Minute},
		store.QueueInterval{Queue: "sales", Start: day.Add(9*time.Hour + 30*time.Minute), Offered: 10, Answered: 10, AnsweredInSL: 10,
			AnswerWait: 20 * time.Second, Handled: 10, TalkTime: 20 * time.Minute},
		store.QueueInterval{Queue: "sales", Start: day.Add(-time.Hour), Offered: 99, Answered: 0},
	}
	if _, err := store.PutAll(f.st, ivs...); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/reports/queues?period=day&date=2026-03-01")
	wantStatus(t, r, http.StatusOK)
	// 09:00-10:00: 20 offered, 18 answered, 16 in SL of 20 = 80.0%, ASA
	// 100 s / 18 = 5.6 s, abandon 10.0%, AHT 40 min / 18 = 2:13.
	want := `<tr><th>09</th><td class="num">20</td><td class="num">18</td><td class="num">2</td>
        <td class="num">80.0%</td><td class="num">0:06</td><td class="num">10.0%</td><td class="num">2:13</td><td class="num">0:40</td></tr>`
	if !strings.Contains(r.Body, want) {
		t.Fatalf("hour 09 row missing:\n%s", r.Body)
	}
	if strings.Count(r.Body, `<svg class="chart"`) != 3 {
		t.Fatal("want three charts")
	}
	for _, q := range []string{"period=week&date=2026-03-01", "period=month&date=2026-03-01", "period=year", "date=junk", "queue=nope"} {
		r := b.get("/reports/queues?" + q)
		if strings.Contains(q, "=2026") {
			wantStatus(t, r, http.StatusOK)
		} else {
			wantStatus(t, r, http.StatusBadRequest)
		}
	}
}

func TestParsePeriod_BucketsCoverThePeriodInTheSiteZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zoneinfo")
	}
	now := time.Date(2026, 3, 4, 20, 0, 0, 0, time.UTC) // Thursday 5 March in Shanghai
	for kind, n := range map[string]int{"day": 24, "week": 7, "month": 31} {
		p, errs := parsePeriod(url.Values{"period": {kind}}, loc, now, i18n.EN)
		if len(errs) != 0 || len(p.Buckets) != n {
			t.Fatalf("%s: %d buckets, errs %v", kind, len(p.Buckets), errs)
		}
		if !p.Buckets[0].Start.Equal(p.Start) || !p.Buckets[n-1].End.Equal(p.End) {
			t.Fatalf("%s: buckets do not cover %v-%v", kind, p.Start, p.End)
		}
	}
	p, _ := parsePeriod(url.Values{"period": {"week"}}, loc, now, i18n.EN)
	if p.Start.Weekday() != time.Monday || p.Start.Day() != 2 {
		t.Fatalf("week starts %v", p.Start)
	}
}

func FuzzParseCDRFilter(f *testing.F) {
	for _, q := range []string{"", "from=2026-01-01&to=2026-12-31", "from=2026-13-01", "to=1900-01-01&from=2999-01-01",
		"number=%00%ff&agent=" + strings.Repeat("x", 100), "disposition=answered&queue=sales"} {
		f.Add(q)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, _ := parseCDRFilter(q, time.UTC, now, i18n.ZH)
		if !flt.to.After(flt.from) || flt.to.Sub(flt.from) > (maxReportDays+1)*24*time.Hour {
			t.Fatalf("range %v-%v from %q", flt.from, flt.to, raw)
		}
		if _, err := url.ParseQuery(flt.query()); err != nil {
			t.Fatalf("query %q: %v", flt.query(), err)
		}
		p, _ := parsePeriod(q, time.UTC, now, i18n.EN)
		if len(p.Buckets) == 0 || !p.End.After(p.Start) {
			t.Fatalf("period %+v from %q", p, raw)
		}
	})
}

func TestCSVSafe_PrefixesFormulaStarts(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+86": "'+86", "-2": "'-2", "@A": "'@A", "\tx": "'\tx", "\rx": "'\rx",
		"13800138000": "13800138000", "": "", "王": "王", "a=b": "a=b"} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// The running interval is stored only when it ends; the report of today
// takes it from the live queues, once.
func TestReports_QueueReportCountsTheRunningIntervalFromTheLiveQueues(t *testing.T) {
	cf := newConsoleFixture(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	stored := store.QueueInterval{Queue: "sales", Start: day.Add(9 * time.Hour), Offered: 10, Answered: 8, AnsweredInSL: 6, Abandoned: 2,
		AnswerWait: 80 * time.Second, LongestWait: 40 * time.Second, Handled: 8, TalkTime: 16 * time.Minute, WrapTime: 4 * time.Minute}
	if _, err := store.Put(cf.st, stored); err != nil {
		t.Fatal(err)
	}
	running := servicelevel.Interval{Queue: "sales", Start: day.Add(9*time.Hour + 30*time.Minute), Offered: 10, Answered: 10, AnsweredInSL: 10,
		AnswerWait: 20 * time.Second, Handled: 10, TalkTime: 20 * time.Minute}
	// "vip" shows its running interval, which was also stored already:
	// counted once.
	vipIv := store.QueueInterval{Queue: "vip", Start: day.Add(9 * time.Hour), Offered: 1, Answered: 1, AnsweredInSL: 1, Handled: 1}
	if _, err := store.Put(cf.st, vipIv); err != nil {
		t.Fatal(err)
	}
	cf.acd.set(servicelevel.Snapshot{Queue: "sales", Current: running}, servicelevel.Snapshot{Queue: "vip", Current: queue.IntervalFromStore(vipIv)})
	b := cf.browser()
	b.login("admin", testPassword)
	r := b.get("/reports/queues?period=day&date=2026-03-01&queue=sales")
	wantStatus(t, r, http.StatusOK)
	// As TestReports_QueueFiguresByInterval: the stored 09:00 and the live
	// 09:30 together.
	want := `<tr><th>09</th><td class="num">20</td><td class="num">18</td><td class="num">2</td>`
	if !strings.Contains(r.Body, want) {
		t.Fatalf("hour 09 row missing:\n%s", r.Body)
	}
	r = b.get("/reports/queues?period=day&date=2026-03-01")
	wantStatus(t, r, http.StatusOK)
	if want := `<tr><th>09</th><td class="num">21</td><td class="num">19</td>`; !strings.Contains(r.Body, want) {
		t.Fatalf("all queues, hour 09 row missing:\n%s", r.Body)
	}
}
