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
// site's (or the Hours') time zone. End "24:00" means midnight.
type WeeklyRange struct {
	Day   time.Weekday `json:"day"`
	Start string       `json:"start"`
	End   string       `json:"end"`
}

// Holiday closes a date or an inclusive range of dates ("2026-10-01" to
// "2026-10-07"); To empty means just From.
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
		if !okS {
			f.add(p+".start", codeClock)
		}
		if !okE {
			f.add(p+".end", codeClock)
		}
		if okS && okE && start >= end {
			f.add(p+".end", codeClockOrder)
		}
	}
	for i, d := range h.Holidays {
		p := indexed("holidays", i)
		f.text(p+".name", d.Name, false, 64)
		from, okF := parseDate(d.From)
		if !okF {
			f.add(p+".from", codeDate)
		}
		if d.To != "" {
			to, okT := parseDate(d.To)
			if !okT {
				f.add(p+".to", codeDate)
			} else if okF && to.Before(from) {
				f.add(p+".to", codeDateOrder)
			}
		}
	}
	return f.result(KindHours, h.Name)
}

// Open reports whether the schedule is open at t: not on a holiday and
// inside a weekly range, both in the schedule's zone (or loc when the
// schedule has none).
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
	day := t.Format(time.DateOnly)
	for _, d := range h.Holidays {
		to := d.To
		if to == "" {
			to = d.From
		}
		// Dates in "YYYY-MM-DD" compare correctly as strings.
		if day >= d.From && day <= to {
			return false
		}
	}
	minute := t.Hour()*60 + t.Minute()
	for _, r := range h.Weekly {
		start, ok1 := parseClock(r.Start)
		end, ok2 := parseClock(r.End)
		if ok1 && ok2 && r.Day == t.Weekday() && minute >= start && minute < end {
			return true
		}
	}
	return false
}
