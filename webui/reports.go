package webui

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/wav"
)

// The reports (admin, supervisor): call records with filters and CSV
// export, recording playback and download (each access in the audit log),
// and queue and agent figures by interval (reports_stats.go) drawn as
// tables and server-side SVG charts (reports_svg.go). Everything here only
// reads the store, except the audit entries.

// reportsCSP is the page policy plus audio from this server, for the
// recording player.
const reportsCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const (
	// cdrsShown bounds the rows of the call record page; the CSV export
	// holds every match up to cdrsExported.
	cdrsShown    = 500
	cdrsExported = 100000
	// maxReportDays bounds a call record search.
	maxReportDays = 366
	maxFilterText = 64
)

func (s *Server) reportRoutes(handle func(string, access, handlerFunc), watchers []store.Role) {
	handle("GET /reports", page(watchers...), s.reportCalls)
	handle("GET /reports/cdrs.csv", page(watchers...), s.reportCallsCSV)
	handle("GET /reports/recordings/{id}", page(watchers...), s.reportRecording)
	handle("GET /reports/queues", page(watchers...), s.reportQueues)
	handle("GET /reports/agents", page(watchers...), s.reportAgents)
}

// cdrFilter is the call record search. From and To are days in the box's
// time zone, both included.
type cdrFilter struct {
	From, To    string
	Number      string
	Agent       string
	Queue       string
	Disposition string

	from, to time.Time // [from, to)
}

// dispositions lists the call outcomes the filter offers.
var dispositions = []store.Disposition{store.DispositionAnswered, store.DispositionNoAnswer, store.DispositionBusy,
	store.DispositionFailed, store.DispositionAbandoned, store.DispositionVoicemail, store.DispositionFax}

const dayLayout = "2006-01-02"

// parseCDRFilter reads the search from a query. A missing range is the
// last seven days up to today; every problem is returned as a message by
// field, and the filter then holds the default for that field.
func parseCDRFilter(q url.Values, loc *time.Location, now time.Time, lang i18n.Lang) (cdrFilter, map[string]string) {
	errs := map[string]string{}
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	f := cdrFilter{
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Number: strings.TrimSpace(q.Get("number")), Agent: strings.TrimSpace(q.Get("agent")),
		Queue: strings.TrimSpace(q.Get("queue")), Disposition: strings.TrimSpace(q.Get("disposition")),
	}
	day := func(field, v string, def time.Time) (time.Time, string) {
		if v == "" {
			return def, def.Format(dayLayout)
		}
		t, err := time.ParseInLocation(dayLayout, v, loc)
		if err != nil {
			errs[field] = i18n.T(lang, "reports.err.date")
			return def, def.Format(dayLayout)
		}
		return t, v
	}
	f.from, f.From = day("from", f.From, today.AddDate(0, 0, -6))
	last, to := day("to", f.To, today)
	f.To = to
	f.to = last.AddDate(0, 0, 1)
	switch {
	case !f.to.After(f.from):
		errs["to"] = i18n.T(lang, "reports.err.range")
		f.to = f.from.AddDate(0, 0, 1)
		f.To = f.From
	case f.to.Sub(f.from) > maxReportDays*24*time.Hour+time.Hour:
		errs["to"] = i18n.T(lang, "reports.err.too-long", maxReportDays)
		f.to = f.from.AddDate(0, 0, maxReportDays)
		f.To = f.to.AddDate(0, 0, -1).Format(dayLayout)
	}
	for field, v := range map[string]*string{"number": &f.Number, "agent": &f.Agent, "queue": &f.Queue} {
		if utf8.RuneCountInString(*v) > maxFilterText || !utf8.ValidString(*v) {
			errs[field] = i18n.T(lang, "reports.err.text", maxFilterText)
			*v = ""
		}
	}
	if f.Disposition != "" && !slices.Contains(dispositions, store.Disposition(f.Disposition)) {
		errs["disposition"] = i18n.T(lang, "reports.err.disposition")
		f.Disposition = ""
	}
	return f, errs
}

// match reports whether a call record passes the filter.
func (f cdrFilter) match(c store.CDR) bool {
	if c.Start.Before(f.from) || !c.Start.Before(f.to) {
		return false
	}
	if f.Number != "" && !strings.Contains(c.Caller, f.Number) && !strings.Contains(c.Callee, f.Number) {
		return false
	}
	if f.Agent != "" && c.Agent != f.Agent {
		return false
	}
	if f.Queue != "" && c.Queue != f.Queue {
		return false
	}
	return f.Disposition == "" || string(c.Disposition) == f.Disposition
}

// query is the filter as a query string, for the CSV link.
func (f cdrFilter) query() string {
	v := url.Values{"from": {f.From}, "to": {f.To}}
	for k, x := range map[string]string{"number": f.Number, "agent": f.Agent, "queue": f.Queue, "disposition": f.Disposition} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// findCDRs returns the matching records, newest first, at most limit, and
// how many matched in all.
func (s *Server) findCDRs(f cdrFilter, limit int) ([]store.CDR, int, error) {
	var out []store.CDR
	from, to := cdrKeyRange(f.from, f.to)
	err := store.RangeFunc(s.store, from, to, false, func(c store.CDR) bool {
		if f.match(c) {
			out = append(out, c)
		}
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(out, func(a, b store.CDR) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	n := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, n, nil
}

// cdrKeySlack widens a key range of call records: a record's key is its
// call ID, a store.NewID of when the switch took the call, which is at
// most moments before the record's Start.
const cdrKeySlack = time.Minute

// cdrKeyRange is the key range that holds the call records started in
// [from, to); callers still check Start, since the range is a little wider.
func cdrKeyRange(from, to time.Time) (string, string) {
	return store.TimeKey(from.Add(-cdrKeySlack)), store.TimeKey(to.Add(cdrKeySlack))
}

// agentNames maps agent IDs to names for the reports.
func (s *Server) agentNames() map[string]string {
	names := map[string]string{}
	agents, err := store.List[store.Agent](s.store)
	if err != nil {
		s.log.Warn("reports: list agents", "err", err)
	}
	for _, a := range agents {
		names[a.ID] = a.Name
	}
	return names
}

// cdrRow is one call record as the page and the CSV show it.
type cdrRow struct {
	ID, Start, Caller, CallerName, Callee, Direction, Queue, Agent, AgentName string
	Disposition, DispositionLabel, Wait, Talk, Route, Recording               string
	Hold                                                                      bool // legal hold (admin_retention.go)
}

func rowOf(c store.CDR, loc *time.Location, names map[string]string, lang i18n.Lang) cdrRow {
	r := cdrRow{ID: c.ID, Start: c.Start.In(loc).Format("2006-01-02 15:04:05"), Caller: c.Caller, CallerName: c.CallerName,
		Callee: c.Callee, Direction: string(c.Direction), Queue: c.Queue, Agent: c.Agent, AgentName: names[c.Agent],
		Disposition: string(c.Disposition), DispositionLabel: dispositionLabel(lang, c.Disposition), Route: c.Route,
		Recording: c.Recording, Hold: c.Hold}
	if !c.Answer.IsZero() {
		r.Wait = hms(c.Answer.Sub(c.Start))
		r.Talk = hms(c.End.Sub(c.Answer))
	} else if !c.End.IsZero() {
		r.Wait = hms(c.End.Sub(c.Start))
	}
	return r
}

func dispositionLabel(lang i18n.Lang, d store.Disposition) string {
	key := "reports.disp." + string(d)
	if d != "" && i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return string(d)
}

// hms writes a duration as h:mm:ss or m:ss.
func hms(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64(d.Round(time.Second) / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// callsView is the call record page.
type callsView struct {
	Tab          string
	Filter       cdrFilter
	Errors       map[string]string
	Rows         []cdrRow
	Matched      int
	Shown        int
	CSV          string
	Agents       []nameChoice
	Queues       []string
	Dispositions []nameChoice
}

// nameChoice is an option of a select: a value and what it shows.
type nameChoice struct{ Value, Label string }

func (s *Server) reportCalls(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	loc := ivr.SiteZone(s.store)
	f, errs := parseCDRFilter(r.URL.Query(), loc, s.now(), rc.lang)
	cdrs, n, err := s.findCDRs(f, cdrsShown)
	if err != nil {
		s.log.Error("reports: read call records", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	names := s.agentNames()
	v := callsView{Tab: "calls", Filter: f, Errors: errs, Matched: n, Shown: len(cdrs), CSV: "/reports/cdrs.csv?" + f.query()}
	for _, c := range cdrs {
		v.Rows = append(v.Rows, rowOf(c, loc, names, rc.lang))
	}
	for id, name := range names {
		v.Agents = append(v.Agents, nameChoice{Value: id, Label: name + " (" + id + ")"})
	}
	slices.SortFunc(v.Agents, func(a, b nameChoice) int { return strings.Compare(a.Label, b.Label) })
	v.Queues = s.queueNames()
	for _, d := range dispositions {
		v.Dispositions = append(v.Dispositions, nameChoice{Value: string(d), Label: dispositionLabel(rc.lang, d)})
	}
	code := http.StatusOK
	if len(errs) > 0 {
		code = http.StatusBadRequest
	}
	w.Header().Set("Content-Security-Policy", reportsCSP)
	s.render(w, r, rc, code, "reports", "reports.title", v)
}

func (s *Server) queueNames() []string {
	qs, err := store.List[store.Queue](s.store)
	if err != nil {
		s.log.Warn("reports: list queues", "err", err)
	}
	out := make([]string, 0, len(qs))
	for _, q := range qs {
		out = append(out, q.Name)
	}
	return out
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a value
// starting with = + - @ or a control character gets a leading quote.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r\n", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) reportCallsCSV(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	loc := ivr.SiteZone(s.store)
	f, errs := parseCDRFilter(r.URL.Query(), loc, s.now(), rc.lang)
	if len(errs) > 0 {
		s.fail(w, r, rc, http.StatusBadRequest, "reports.err.filter")
		return
	}
	cdrs, _, err := s.findCDRs(f, cdrsExported)
	if err != nil {
		s.log.Error("reports: read call records", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	names := s.agentNames()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="calls-`+f.From+`-`+f.To+`.csv"`)
	// A byte order mark, so that spreadsheet programs read the Chinese
	// names as UTF-8.
	_, _ = w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	head := []string{"id", "start", "caller", "caller_name", "callee", "direction", "queue", "agent", "agent_name",
		"disposition", "wait", "talk", "route", "recording"}
	_ = cw.Write(head)
	for _, c := range cdrs {
		x := rowOf(c, loc, names, rc.lang)
		rec := []string{x.ID, x.Start, x.Caller, x.CallerName, x.Callee, x.Direction, x.Queue, x.Agent, x.AgentName,
			x.Disposition, x.Wait, x.Talk, x.Route, x.Recording}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			s.log.Warn("reports: csv export cut short", "err", err)
			return
		}
	}
	cw.Flush()
	s.log.Info("reports: csv export", "user", rc.user.Name, "rows", len(cdrs))
}

// Recording errors.
var (
	errRecordingPath = errors.New("webui: recording path outside the data directory")
	errRecordingType = errors.New("webui: recording is not a WAV file")
)

// recordingFile returns the file of a recording: its path is relative to
// the data directory, the directory of the store file.
func (s *Server) recordingFile(rec store.Recording) (string, error) {
	if !filepath.IsLocal(rec.Path) {
		return "", errRecordingPath
	}
	if !strings.EqualFold(filepath.Ext(rec.Path), ".wav") {
		return "", errRecordingType
	}
	return filepath.Join(filepath.Dir(s.store.Path()), rec.Path), nil
}

// reportRecording serves a recording to play in the page or, with
// ?download=1, as a file. Each playback start and each download is written
// to the audit log (a player's later range requests for the same playback
// are not).
func (s *Server) reportRecording(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	rec, err := store.Get[store.Recording](s.store, id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, rc)
		return
	}
	if err != nil {
		s.log.Error("reports: read recording", "id", id, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	path, err := s.recordingFile(rec)
	if err != nil {
		s.log.Warn("reports: refused recording", "id", id, "path", rec.Path, "err", err)
		s.notFound(w, r, rc)
		return
	}
	file, err := os.Open(path)
	if err != nil {
		s.log.Warn("reports: recording file missing", "id", id, "path", path, "err", err)
		s.fail(w, r, rc, http.StatusNotFound, "reports.err.no-file")
		return
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil || !info.Mode().IsRegular() {
		s.fail(w, r, rc, http.StatusNotFound, "reports.err.no-file")
		return
	}
	download := r.URL.Query().Get("download") == "1"
	action := "recording-play"
	if download {
		action = "recording-download"
		w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(id)+`.wav"`)
	}
	if rg := r.Header.Get("Range"); download || (rg == "" || strings.HasPrefix(rg, "bytes=0-")) && s.plays.first(rc.user.Name, id, s.now()) {
		s.audit(r, rc, action, store.KindRecording, id, "call "+rec.CallID)
	}
	w.Header().Set("Content-Type", "audio/wav")
	// The gate's no-store would make a player fetch the file again on
	// every seek; private keeps it out of shared caches.
	w.Header().Set("Cache-Control", "private, max-age=0")
	http.ServeContent(w, r, "", info.ModTime(), servedAs(file, info.Size(), download))
}

// servedAs is what a recording's file is served as: a download is the
// file itself (the one its SHA-256 is of); for playing in the page a
// G.711 recording (acd/queue records μ-law) is served as the 16-bit PCM
// file it decodes to, which every browser plays. Anything else, or a
// file whose header cannot be read, goes as it is.
func servedAs(file *os.File, size int64, download bool) io.ReadSeeker {
	if download {
		return file
	}
	v, err := wav.NewPCMView(file, size)
	if err != nil {
		return file
	}
	return v
}

// safeFileName keeps letters, digits, '-', '_' and '.', for a header.
func safeFileName(s string) string {
	out := strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
	if out == "" {
		return "recording"
	}
	return out
}

// playWindow is how long repeated fetches of one recording by one user
// count as one listening: a browser's player fetches the start of the file
// once to read its length and again on play.
const playWindow = time.Minute

// playLog remembers who started which recording lately, so the audit log
// keeps one entry per listening.
type playLog struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// first reports whether user's fetch of the recording id at now starts a
// new listening, and notes it.
func (p *playLog) first(user, id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]time.Time{}
	}
	for k, at := range p.seen {
		if now.Sub(at) >= playWindow {
			delete(p.seen, k)
		}
	}
	k := user + "\x00" + id
	if _, ok := p.seen[k]; ok {
		return false
	}
	p.seen[k] = now
	return true
}
