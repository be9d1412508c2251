package store

import (
	"bytes"
	"encoding/json"
	"time"
)

// SkillLevel is one skill an agent has, at a level from 1 (novice) to 10.
type SkillLevel struct {
	Skill string `json:"skill"`
	Level int    `json:"level"`
}

// Agent is a person who takes queue calls. Key: ID (the agent's login
// number, 2-8 digits, typed on the phone).
type Agent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// User links to the web UI login, if the agent has one.
	User string `json:"user,omitempty"`
	// Extension is where queue calls ring while the agent is logged in.
	Extension     string       `json:"extension,omitempty"`
	Skills        []SkillLevel `json:"skills,omitempty"`
	WrapUpSeconds int          `json:"wrapUpSeconds,omitempty"`
	Enabled       bool         `json:"enabled"`
}

// Kind implements Record.
func (Agent) Kind() Kind { return KindAgent }

// Key implements Record.
func (a Agent) Key() string { return a.ID }

// Validate implements Record.
func (a Agent) Validate() error {
	var f fields
	f.digits("id", a.ID, true, 2, 8)
	f.text("name", a.Name, true, 64)
	if a.User != "" && !isName(a.User) {
		f.add("user", codeName, 64)
	}
	f.digits("extension", a.Extension, false, 2, 8)
	names := make([]string, len(a.Skills))
	for i, s := range a.Skills {
		f.name(indexed("skills", i)+".skill", s.Skill)
		f.intRange(indexed("skills", i)+".level", s.Level, 1, 10)
		names[i] = s.Skill
	}
	noDuplicates(&f, "skills", names)
	f.intRange("wrapUpSeconds", a.WrapUpSeconds, 0, 3600)
	return f.result(KindAgent, a.ID)
}

// Skill is something callers need and agents have ("billing", "zh").
// Key: Name.
type Skill struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Kind implements Record.
func (Skill) Kind() Kind { return KindSkill }

// Key implements Record.
func (s Skill) Key() string { return s.Name }

// Validate implements Record.
func (s Skill) Validate() error {
	var f fields
	f.name("name", s.Name)
	f.para("description", s.Description, false, 256)
	return f.result(KindSkill, s.Name)
}

// MaxFlowDoc bounds an IVR flow document (bytes).
const MaxFlowDoc = 1 << 20

// Flow is an IVR flow: a JSON document the acd/ivr package interprets,
// versioned so that calls in progress keep the version they started with.
// Key: ID. The store checks that Doc is a JSON object; the IVR checks its
// nodes.
type Flow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Published flows take calls; drafts do not.
	Published bool            `json:"published,omitempty"`
	Doc       json.RawMessage `json:"doc"`
	UpdatedAt time.Time       `json:"updatedAt,omitzero"`
}

// Kind implements Record.
func (Flow) Kind() Kind { return KindFlow }

// Key implements Record.
func (fl Flow) Key() string { return fl.ID }

// Validate implements Record.
func (fl Flow) Validate() error {
	var f fields
	f.name("id", fl.ID)
	f.text("name", fl.Name, true, 64)
	f.intRange("version", fl.Version, 1, 1<<30)
	switch {
	case len(fl.Doc) == 0:
		f.add("doc", codeRequired)
	case len(fl.Doc) > MaxFlowDoc:
		f.add("doc", codeTooLong, MaxFlowDoc)
	case !isJSONObject(fl.Doc):
		f.add("doc", codeJSONObject)
	}
	return f.result(KindFlow, fl.ID)
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return false
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil
}

// WeeklyRange is an opening time on one weekday, "HH:MM" to "HH:MM" in the
// site's (or the Hours') time zone. End "24:00" means midnight; an End at
// or before Start runs overnight into the next day ("22:00" to "06:00" on
// Friday is open Friday 22:00 to Saturday 06:00).
type WeeklyRange struct {
	Day   time.Weekday `json:"day"`
	Start string       `json:"start"`
	End   string       `json:"end"`
}

// Holiday closes a date or an inclusive range of dates ("2026-10-01" to
// "2026-10-07"), or the same dates every year ("01-01", "12-24" to
// "12-26", "12-31" to "01-02" across New Year); To empty means just From.
// From and To are both dated or both yearly.
type Holiday struct {
	Name string `json:"name,omitempty"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// Hours is a named weekly schedule with holidays. Key: Name.
type Hours struct {
	Name string `json:"name"`
	// TimeZone overrides the site's time zone when set.
	TimeZone string        `json:"timeZone,omitempty"`
	Weekly   []WeeklyRange `json:"weekly,omitempty"`
	Holidays []Holiday     `json:"holidays,omitempty"`
}

// Kind implements Record.
func (Hours) Kind() Kind { return KindHours }

// Key implements Record.
func (h Hours) Key() string { return h.Name }

// Validate implements Record.
func (h Hours) Validate() error {
	var f fields
	f.name("name", h.Name)
	f.timeZone("timeZone", h.TimeZone, false)
	for i, r := range h.Weekly {
		p := indexed("weekly", i)
		f.intRange(p+".day", int(r.Day), 0, 6)
		start, okS := parseClock(r.Start)
		end, okE := parseClock(r.End)
		// "24:00" ends a day; it cannot start one.
		if !okS || start == minutesPerDay {
			f.add(p+".start", codeClock)
			okS = false
		}
		if !okE {
			f.add(p+".end", codeClock)
		}
		// Equal ends would be either nothing or a whole day: say which
		// with "00:00" to "24:00".
		if okS && okE && start == end {
			f.add(p+".end", codeClockOrder)
		}
	}
	for i, d := range h.Holidays {
		p := indexed("holidays", i)
		f.text(p+".name", d.Name, false, 64)
		from, yearlyF, okF := parseHolidayDate(d.From)
		if !okF {
			f.add(p+".from", codeDate)
		}
		if d.To != "" {
			to, yearlyT, okT := parseHolidayDate(d.To)
			switch {
			case !okT || okF && yearlyT != yearlyF:
				f.add(p+".to", codeDate)
			case okF && !yearlyF && to < from:
				// A yearly range may wrap over New Year; a dated one may
				// not end before it starts.
				f.add(p+".to", codeDateOrder)
			}
		}
	}
	return f.result(KindHours, h.Name)
}

const minutesPerDay = 24 * 60

// parseHolidayDate reads "YYYY-MM-DD" as yyyymmdd or "MM-DD" as mmdd,
// yearly (02-29 allowed: it closes that day in leap years).
func parseHolidayDate(v string) (n int, yearly, ok bool) {
	switch len(v) {
	case len("2006-01-02"):
		t, ok := parseDate(v)
		if !ok {
			return 0, false, false
		}
		return t.Year()*10000 + int(t.Month())*100 + t.Day(), false, true
	case len("01-02"):
		t, ok := parseDate("2000-" + v)
		if !ok {
			return 0, true, false
		}
		return int(t.Month())*100 + t.Day(), true, true
	}
	return 0, false, false
}

// closes reports whether a holiday closes the date y-m-d.
func (d Holiday) closes(y int, m time.Month, day int) bool {
	from, yearly, ok := parseHolidayDate(d.From)
	if !ok {
		return false
	}
	to := from
	if d.To != "" {
		t, yearlyT, okT := parseHolidayDate(d.To)
		if !okT || yearlyT != yearly {
			return false
		}
		to = t
	}
	if yearly {
		md := int(m)*100 + day
		if from <= to {
			return md >= from && md <= to
		}
		return md >= from || md <= to
	}
	ymd := y*10000 + int(m)*100 + day
	return ymd >= from && ymd <= to
}

// Open reports whether the schedule is open at t: not on a holiday and
// inside a weekly range (today's, or last night's overnight range), both
// in the schedule's zone (or loc when the schedule has none). A holiday
// closes its whole date, the tail of an overnight range included. The
// acd/hours package compiles the same rules for the switch; this is the
// record's own reading, for pages and tests.
func (h Hours) Open(t time.Time, loc *time.Location) bool {
	if h.TimeZone != "" {
		if l, err := time.LoadLocation(h.TimeZone); err == nil {
			loc = l
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, day := t.Date()
	for _, d := range h.Holidays {
		if d.closes(y, m, day) {
			return false
		}
	}
	minute := t.Hour()*60 + t.Minute()
	yesterday := (t.Weekday() + 6) % 7
	for _, r := range h.Weekly {
		start, ok1 := parseClock(r.Start)
		end, ok2 := parseClock(r.End)
		if !ok1 || !ok2 || start == minutesPerDay {
			continue
		}
		overnight := end <= start
		switch {
		case r.Day == t.Weekday() && minute >= start && (overnight || minute < end):
			return true
		case r.Day == yesterday && overnight && minute < end:
			return true
		}
	}
	return false
}
