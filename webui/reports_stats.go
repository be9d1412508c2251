package webui

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"callbox/acd/ivr"
	"callbox/acd/queue"
	"callbox/acd/servicelevel"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Queue and agent figures for a day (by hour), a week or a month (by day)
// in the box's time zone. Queue figures come from the finished
// service-level intervals (store.QueueInterval); agent figures from the
// call records, the only per-agent history the store keeps.

// period is the span a report covers, cut into buckets.
type period struct {
	Kind    string // "day", "week", "month"
	Date    string // the day asked for, YYYY-MM-DD
	Start   time.Time
	End     time.Time
	Buckets []timeSlot
	Prev    string // Date of the previous and next period, for the arrows
	Next    string
}

type timeSlot struct {
	Label      string
	Start, End time.Time
}

// parsePeriod reads ?period=day|week|month&date=YYYY-MM-DD. A bad value
// falls back to today's day and is reported by field.
func parsePeriod(q url.Values, loc *time.Location, now time.Time, lang i18n.Lang) (period, map[string]string) {
	errs := map[string]string{}
	p := period{Kind: q.Get("period")}
	switch p.Kind {
	case "day", "week", "month":
	case "":
		p.Kind = "day"
	default:
		errs["period"] = i18n.T(lang, "reports.err.period")
		p.Kind = "day"
	}
	n := now.In(loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	if d := q.Get("date"); d != "" {
		t, err := time.ParseInLocation(dayLayout, d, loc)
		if err != nil {
			errs["date"] = i18n.T(lang, "reports.err.date")
		} else {
			day = t
		}
	}
	p.Date = day.Format(dayLayout)
	step := func(t time.Time, k int) time.Time { return t.AddDate(0, 0, k) }
	switch p.Kind {
	case "day":
		p.Start, p.End = day, day.AddDate(0, 0, 1)
		for h := 0; h < 24; h++ {
			s := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, loc)
			p.Buckets = append(p.Buckets, timeSlot{Label: fmt.Sprintf("%02d", h), Start: s, End: s.Add(time.Hour)})
		}
		p.Prev, p.Next = step(day, -1).Format(dayLayout), step(day, 1).Format(dayLayout)
	case "week":
		// Weeks start on Monday (as in China and Europe).
		back := (int(day.Weekday()) + 6) % 7
		p.Start = day.AddDate(0, 0, -back)
		p.End = p.Start.AddDate(0, 0, 7)
		p.Prev, p.Next = step(p.Start, -7).Format(dayLayout), step(p.Start, 7).Format(dayLayout)
	case "month":
		p.Start = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, loc)
		p.End = p.Start.AddDate(0, 1, 0)
		p.Prev, p.Next = p.Start.AddDate(0, -1, 0).Format(dayLayout), p.End.Format(dayLayout)
	}
	if p.Kind != "day" {
		for d := p.Start; d.Before(p.End); d = d.AddDate(0, 0, 1) {
			label := d.Format("01-02")
			if p.Kind == "month" {
				label = d.Format("2")
			}
			p.Buckets = append(p.Buckets, timeSlot{Label: label, Start: d, End: d.AddDate(0, 0, 1)})
		}
	}
	return p, errs
}

// find returns the index of the timeSlot holding t, or -1.
func (p period) find(t time.Time) int {
	if t.Before(p.Start) || !t.Before(p.End) {
		return -1
	}
	for i, b := range p.Buckets {
		if !t.Before(b.Start) && t.Before(b.End) {
			return i
		}
	}
	return -1
}

// queueRow is one line of the queue table, formatted.
type queueRow struct {
	Label                                  string
	Offered, Answered, Abandoned, Handled  int
	SL, ASA, AbandonRate, AHT, LongestWait string
}

// queueRowOf formats a queue's figures (acd/servicelevel's arithmetic, as
// on the wallboard); a figure with nothing to count shows as a dash.
func queueRowOf(label string, q servicelevel.Interval) queueRow {
	pct := func(v float64, ok bool) string {
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", v)
	}
	dur := func(d time.Duration, ok bool) string {
		if !ok {
			return "–"
		}
		return hms(d)
	}
	return queueRow{Label: label, Offered: q.Offered, Answered: q.Answered, Abandoned: q.Abandoned, Handled: q.Handled,
		SL: pct(q.ServiceLevel(), q.Counted() > 0), AbandonRate: pct(q.AbandonRate(), q.Offered > 0), ASA: dur(q.ASA(), q.Answered > 0),
		AHT: dur(q.AHT(), q.Handled > 0), LongestWait: dur(q.LongestWait, q.Offered > 0)}
}

// statsView is the queue or agent report page.
type statsView struct {
	Tab     string
	Period  period
	Errors  map[string]string
	Queue   string
	Queues  []string
	Tables  []queueTable
	Periods []nameChoice
	Agents  []agentRow
	Charts  []svgChart
	// PauseReasons are the pause reasons of the agent report's period,
	// sorted; PauseLabels are their column heads.
	PauseReasons []string
	PauseLabels  []string
}

func (s *Server) reportQueues(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	loc := ivr.SiteZone(s.store)
	q := r.URL.Query()
	p, errs := parsePeriod(q, loc, s.now(), rc.lang)
	v := statsView{Tab: "queues", Period: p, Errors: errs, Queue: strings.TrimSpace(q.Get("queue")), Queues: s.queueNames()}
	if v.Queue != "" && !slices.Contains(v.Queues, v.Queue) {
		errs["queue"] = i18n.T(rc.lang, "reports.err.queue")
		v.Queue = ""
	}
	buckets := make([]servicelevel.Interval, len(p.Buckets))
	byQueue := map[string]*servicelevel.Interval{}
	var total servicelevel.Interval
	prefix := ""
	if v.Queue != "" {
		prefix = v.Queue + "|"
	}
	stored := map[string]bool{}
	count := func(rec store.QueueInterval) {
		i := p.find(rec.Start)
		if i < 0 {
			return
		}
		iv := servicelevel.Interval(rec)
		buckets[i].Add(iv)
		total.Add(iv)
		if byQueue[iv.Queue] == nil {
			byQueue[iv.Queue] = &servicelevel.Interval{}
		}
		byQueue[iv.Queue].Add(iv)
	}
	err := store.ListFunc(s.store, prefix, func(iv store.QueueInterval) bool {
		stored[iv.Key()] = true
		count(iv)
		return true
	})
	if err != nil {
		s.log.Error("reports: read queue intervals", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	// The running interval is stored only when it ends: until then its
	// figures come from the live queues, so today's report counts the
	// call that just ended.
	if acd, ok := s.liveACD(); ok {
		for _, snap := range acd.Snapshots() {
			cur := queue.IntervalToStore(snap.Current)
			if cur.Start.IsZero() || stored[cur.Key()] || v.Queue != "" && cur.Queue != v.Queue {
				continue
			}
			count(cur)
		}
	}
	var rows []queueRow
	labels := make([]string, len(p.Buckets))
	offered, answered, abandoned, sl, asa := make([]float64, len(p.Buckets)), make([]float64, len(p.Buckets)),
		make([]float64, len(p.Buckets)), make([]float64, len(p.Buckets)), make([]float64, len(p.Buckets))
	for i, b := range buckets {
		labels[i] = p.Buckets[i].Label
		rows = append(rows, queueRowOf(p.Buckets[i].Label, b))
		offered[i], answered[i], abandoned[i] = float64(b.Offered), float64(b.Answered), float64(b.Abandoned)
		if b.Counted() > 0 {
			sl[i] = b.ServiceLevel()
		}
		asa[i] = b.ASA().Seconds()
	}
	totalRow := queueRowOf(i18n.T(rc.lang, "reports.total"), total)
	if v.Queue == "" && len(byQueue) > 0 {
		t := queueTable{Title: i18n.T(rc.lang, "reports.by-queue"), Total: totalRow}
		for _, name := range slices.Sorted(maps.Keys(byQueue)) {
			t.Rows = append(t.Rows, queueRowOf(name, *byQueue[name]))
		}
		v.Tables = append(v.Tables, t)
	}
	v.Tables = append(v.Tables, queueTable{Title: i18n.T(rc.lang, "reports.by-interval"), Rows: rows, Total: totalRow})
	v.Charts = []svgChart{
		barChart(i18n.T(rc.lang, "reports.chart.calls"), labels, []chartSeries{
			{Name: i18n.T(rc.lang, "reports.col.offered"), Class: "bar-a", Values: offered},
			{Name: i18n.T(rc.lang, "reports.col.answered"), Class: "bar-c", Values: answered},
			{Name: i18n.T(rc.lang, "reports.col.abandoned"), Class: "bar-d", Values: abandoned},
		}, countLabel),
		barChart(i18n.T(rc.lang, "reports.chart.sl"), labels, []chartSeries{
			{Name: i18n.T(rc.lang, "reports.col.sl"), Class: "bar-a", Values: sl},
		}, func(f float64) string { return fmt.Sprintf("%.0f%%", f) }),
		barChart(i18n.T(rc.lang, "reports.chart.asa"), labels, []chartSeries{
			{Name: i18n.T(rc.lang, "reports.col.asa"), Class: "bar-b", Values: asa},
		}, func(f float64) string { return hms(time.Duration(f * float64(time.Second))) }),
	}
	s.renderStats(w, r, rc, "reports_queues", v)
}

func countLabel(f float64) string { return fmt.Sprintf("%.0f", f) }

func (s *Server) renderStats(w http.ResponseWriter, r *http.Request, rc *reqCtx, name string, v statsView) {
	code := http.StatusOK
	if len(v.Errors) > 0 {
		code = http.StatusBadRequest
	}
	w.Header().Set("Content-Security-Policy", reportsCSP)
	for _, k := range []string{"day", "week", "month"} {
		v.Periods = append(v.Periods, nameChoice{Value: k, Label: i18n.T(rc.lang, "reports.period."+k)})
	}
	s.render(w, r, rc, code, name, "reports.title", v)
}

// queueTable is a table of queue figures with its total line.
type queueTable struct {
	Title string
	Rows  []queueRow
	Total queueRow
}

// agentRow is one agent's figures: calls from the call records, state
// times from the agent state log.
type agentRow struct {
	ID, Name               string
	Calls                  int
	Talk, AvgTalk, Longest string
	talk, longest          time.Duration

	LoggedIn, Available, Ringing, OnCall, WrapUp, Paused, Occupancy string
	// PauseBy is the paused time by each reason of the period's
	// PauseReasons, in that order.
	PauseBy []string
	times   stateTimes
}

// label is the agent's name, or its ID when it has none.
func (a agentRow) label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// The colours of the agent states in the stacked chart.
const (
	fillAvailable = "#7fb3d5"
	fillRinging   = "#b9a3d9"
	fillOnCall    = "#1e7b4a"
	fillWrapUp    = "#1f5f8b"
	fillPaused    = "#d9822b"
)

func (s *Server) reportAgents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	loc := ivr.SiteZone(s.store)
	now := s.now()
	p, errs := parsePeriod(r.URL.Query(), loc, now, rc.lang)
	v := statsView{Tab: "agents", Period: p, Errors: errs}
	names := s.agentNames()
	rows := map[string]*agentRow{}
	row := func(id string) *agentRow {
		a := rows[id]
		if a == nil {
			a = &agentRow{ID: id, Name: names[id]}
			rows[id] = a
		}
		return a
	}
	from, to := cdrKeyRange(p.Start, p.End)
	err := store.RangeFunc(s.store, from, to, false, func(c store.CDR) bool {
		if c.Agent == "" || c.Answer.IsZero() || p.find(c.Start) < 0 {
			return true
		}
		a := row(c.Agent)
		d := max(c.End.Sub(c.Answer), 0)
		a.Calls++
		a.talk += d
		a.longest = max(a.longest, d)
		return true
	})
	if err != nil {
		s.log.Error("reports: read call records", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	// Today's states still open count up to now, not to midnight.
	end := p.End
	if now.Before(end) {
		end = now
	}
	reasons := map[string]bool{}
	if end.After(p.Start) {
		prior, events, err := loadAgentEvents(s.store, p.Start, end, s.enabledAgents())
		if err != nil {
			s.log.Error("reports: read agent state log", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
		for id, t := range agentStateTimes(prior, events, p.Start, end) {
			row(id).times = *t
			for reason := range t.PauseBy {
				reasons[reason] = true
			}
		}
	}
	v.PauseReasons = slices.Sorted(maps.Keys(reasons))
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		a := rows[id]
		a.Talk, a.Longest, a.AvgTalk = hms(a.talk), hms(a.longest), "–"
		if a.Calls > 0 {
			a.AvgTalk = hms(a.talk / time.Duration(a.Calls))
		}
		t := a.times
		a.LoggedIn, a.Available, a.Ringing = hms(t.LoggedIn), hms(t.Available), hms(t.Ringing)
		a.OnCall, a.WrapUp, a.Paused = hms(t.OnCall), hms(t.WrapUp), hms(t.Paused)
		a.Occupancy = "–"
		if pct, ok := t.Occupancy(); ok {
			a.Occupancy = fmt.Sprintf("%.1f%%", pct)
		}
		for _, reason := range v.PauseReasons {
			a.PauseBy = append(a.PauseBy, hms(t.PauseBy[reason]))
		}
		v.Agents = append(v.Agents, *a)
	}
	for _, reason := range v.PauseReasons {
		v.PauseLabels = append(v.PauseLabels, pauseReasonLabel(rc.lang, reason))
	}
	if len(v.Agents) > 0 {
		v.Charts = s.agentCharts(rc.lang, v.Agents)
	}
	s.renderStats(w, r, rc, "reports_agents", v)
}

// enabledAgents lists the IDs of the agents that may log in: the ones
// whose state before a period the report looks back for.
func (s *Server) enabledAgents() []string {
	agents, err := store.List[store.Agent](s.store)
	if err != nil {
		s.log.Warn("reports: list agents", "err", err)
	}
	var out []string
	for _, a := range agents {
		if a.Enabled {
			out = append(out, a.ID)
		}
	}
	return out
}

// pauseReasonLabel names a pause reason: the console's reasons (lunch,
// break, ...) in lang, any other as the agent's tool sent it.
func pauseReasonLabel(lang i18n.Lang, reason string) string {
	if reason == "" {
		return i18n.T(lang, "reports.pause.no-reason")
	}
	if key := "agentui.reason." + reason; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return reason
}

// agentCharts draws the calls, talk minutes, time by state and occupancy
// of each agent.
func (s *Server) agentCharts(lang i18n.Lang, agents []agentRow) []svgChart {
	n := len(agents)
	labels := make([]string, n)
	calls, talk, occ := make([]float64, n), make([]float64, n), make([]float64, n)
	states := [5][]float64{}
	for k := range states {
		states[k] = make([]float64, n)
	}
	longest := time.Duration(0)
	for _, a := range agents {
		longest = max(longest, a.times.LoggedIn)
	}
	// Hours read better over a week; minutes over a short day.
	unit, unitKey := time.Hour, "reports.unit.h"
	if longest < 2*time.Hour {
		unit, unitKey = time.Minute, "reports.unit.min"
	}
	for i, a := range agents {
		labels[i] = a.label()
		calls[i], talk[i] = float64(a.Calls), a.talk.Minutes()
		occ[i], _ = a.times.Occupancy()
		t := a.times
		for k, d := range []time.Duration{t.Available, t.Ringing, t.OnCall, t.WrapUp, t.Paused} {
			states[k][i] = float64(d) / float64(unit)
		}
	}
	inUnit := func(f float64) string { return i18n.T(lang, unitKey, fmt.Sprintf("%.4g", f)) }
	return []svgChart{
		barChart(i18n.T(lang, "reports.chart.agent-calls"), labels, []chartSeries{
			{Name: i18n.T(lang, "reports.col.calls"), Class: "bar-a", Values: calls}}, countLabel),
		barChart(i18n.T(lang, "reports.chart.agent-talk"), labels, []chartSeries{
			{Name: i18n.T(lang, "reports.col.talk-min"), Class: "bar-c", Values: talk}}, func(f float64) string { return fmt.Sprintf("%.0f", f) }),
		stackedChart(i18n.T(lang, "reports.chart.agent-states"), labels, []chartSeries{
			{Name: i18n.T(lang, "reports.col.available"), Fill: fillAvailable, Values: states[0]},
			{Name: i18n.T(lang, "reports.col.ringing"), Fill: fillRinging, Values: states[1]},
			{Name: i18n.T(lang, "reports.col.oncall"), Fill: fillOnCall, Values: states[2]},
			{Name: i18n.T(lang, "reports.col.wrapup"), Fill: fillWrapUp, Values: states[3]},
			{Name: i18n.T(lang, "reports.col.paused"), Fill: fillPaused, Values: states[4]},
		}, inUnit),
		barChart(i18n.T(lang, "reports.chart.agent-occupancy"), labels, []chartSeries{
			{Name: i18n.T(lang, "reports.col.occupancy"), Class: "bar-c", Values: occ}}, func(f float64) string { return fmt.Sprintf("%.0f%%", f) }),
	}
}
