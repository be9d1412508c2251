package webui

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The ACD's records: queues and business hours, whose lists (members,
// exits, weekly ranges, holidays) are edited one per line.

func queueKind() *adminKind {
	presence := func(lang i18n.Lang) []option {
		return append([]option{{Value: "", Label: i18n.T(lang, "admin.default")}},
			optionsOf(lang, "admin.presence.", store.PresenceAlways, store.PresenceLoggedIn, store.PresenceUnpaused)...)
	}
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "number", Type: "text", Hint: "admin.h.queueNumber"},
			{Name: "strategy", Type: "select", Options: optionsOf(lang, "admin.strategy.", store.Strategies...)},
			{Name: "members", Type: "lines", Hint: "admin.fmt.members"},
			{Name: "skills", Type: "lines", Hint: "admin.fmt.queueSkills"},
			{Name: "widen", Type: "lines", Hint: "admin.fmt.widen"},
			{Name: "ringSeconds", Type: "number"},
			{Name: "wrapUpSeconds", Type: "number"},
			{Name: "serviceLevelSeconds", Type: "number"},
			{Name: "maxWaitSeconds", Type: "number"},
			{Name: "maxCallers", Type: "number"},
			{Name: "overflow", Type: "text", Hint: "admin.h.overflow"},
			{Name: "announceSeconds", Type: "number"},
			{Name: "announcePosition", Type: "check"},
			{Name: "announceWait", Type: "check"},
			{Name: "exitKeys", Type: "lines", Hint: "admin.fmt.exitKeys"},
			{Name: "callbackTries", Type: "number"},
			{Name: "callbackRetrySeconds", Type: "number"},
			{Name: "joinWhen", Type: "select", Options: presence(lang)},
			{Name: "stayWhen", Type: "select", Options: presence(lang)},
			{Name: "affinitySeconds", Type: "number"},
			{Name: "affinityHoldSeconds", Type: "number"},
			{Name: "skipSeconds", Type: "number"},
			{Name: "hours", Type: "select", Options: recordOptions(s, lang, func(h store.Hours) string { return h.Name })},
			{Name: "closed", Type: "text", Hint: "admin.h.overflow"},
			{Name: "lang", Type: "select", Options: langOptions(lang)},
			{Name: "record", Type: "select", Options: optionsOf(lang, "queue.record.", store.RecordAll, store.RecordNone, store.RecordOnDemand)},
		}
	}
	to := func(q store.Queue) url.Values {
		var mem, sk, wid, ex []string
		for _, m := range q.Members {
			mem = append(mem, fmt.Sprintf("%s %d %d %d", m.Agent, m.Level, m.Penalty, m.Weight))
		}
		for _, k := range q.Skills {
			sk = append(sk, fmt.Sprintf("%s %d", k.Skill, k.MinLevel))
		}
		for _, w := range q.Widen {
			if w.Any {
				wid = append(wid, fmt.Sprintf("%d any", w.AfterSeconds))
			} else {
				wid = append(wid, fmt.Sprintf("%d %d", w.AfterSeconds, w.MaxLevel))
			}
		}
		for _, e := range q.ExitKeys {
			ex = append(ex, strings.TrimSpace(e.Key+" "+string(e.Kind)+" "+e.Target))
		}
		return url.Values{"name": {q.Name}, "number": {q.Number}, "strategy": {string(q.Strategy)}, "members": {strings.Join(mem, "\n")},
			"skills": {strings.Join(sk, "\n")}, "widen": {strings.Join(wid, "\n")}, "ringSeconds": {itoa(q.RingSeconds)},
			"wrapUpSeconds": {itoa(q.WrapUpSeconds)}, "serviceLevelSeconds": {itoa(q.ServiceLevelSeconds)}, "maxWaitSeconds": {itoa(q.MaxWaitSeconds)},
			"maxCallers": {itoa(q.MaxCallers)}, "overflow": {q.Overflow}, "announceSeconds": {itoa(q.AnnounceSeconds)},
			"announcePosition": {check(q.AnnouncePosition)}, "announceWait": {check(q.AnnounceWait)}, "exitKeys": {strings.Join(ex, "\n")},
			"callbackTries": {itoa(q.CallbackTries)}, "callbackRetrySeconds": {itoa(q.CallbackRetrySeconds)}, "joinWhen": {string(q.JoinWhen)},
			"stayWhen": {string(q.StayWhen)}, "affinitySeconds": {itoa(q.AffinitySeconds)}, "affinityHoldSeconds": {itoa(q.AffinityHoldSeconds)},
			"skipSeconds": {itoa(q.SkipSeconds)}, "hours": {q.Hours}, "closed": {q.Closed}, "lang": {string(q.Lang)},
			"record": {string(q.RecordPolicyOrDefault())}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Queue {
		n := func(field string) int { return atoi(f, field, errs, lang) }
		q := store.Queue{Name: f.Get("name"), Number: f.Get("number"), Strategy: store.Strategy(f.Get("strategy")),
			RingSeconds: n("ringSeconds"), WrapUpSeconds: n("wrapUpSeconds"), ServiceLevelSeconds: n("serviceLevelSeconds"),
			MaxWaitSeconds: n("maxWaitSeconds"), MaxCallers: n("maxCallers"), Overflow: f.Get("overflow"), AnnounceSeconds: n("announceSeconds"),
			AnnouncePosition: f.Get("announcePosition") == "on", AnnounceWait: f.Get("announceWait") == "on", CallbackTries: n("callbackTries"),
			CallbackRetrySeconds: n("callbackRetrySeconds"), JoinWhen: store.Presence(f.Get("joinWhen")), StayWhen: store.Presence(f.Get("stayWhen")),
			AffinitySeconds: n("affinitySeconds"), AffinityHoldSeconds: n("affinityHoldSeconds"), SkipSeconds: n("skipSeconds"),
			Hours: f.Get("hours"), Closed: f.Get("closed"), Lang: i18n.Lang(f.Get("lang")), Record: store.RecordPolicy(f.Get("record"))}
		for i, l := range lines(f.Get("members")) {
			// "agent [level [penalty [weight]]]": levels and weights default
			// to 1, the penalty to 0.
			p := strings.Fields(l)
			m := store.QueueMember{Agent: p[0], Level: 1, Weight: 1}
			nums, ok := ints(p[1:])
			if !ok || len(p) > 4 {
				lineErr(errs, "members", i, lang)
				continue
			}
			for j, v := range nums {
				*[]*int{&m.Level, &m.Penalty, &m.Weight}[j] = v
			}
			q.Members = append(q.Members, m)
		}
		for i, l := range lines(f.Get("skills")) {
			p := strings.Fields(l)
			nums, ok := ints(p[1:])
			if !ok || len(p) != 2 {
				lineErr(errs, "skills", i, lang)
				continue
			}
			q.Skills = append(q.Skills, store.QueueSkill{Skill: p[0], MinLevel: nums[0]})
		}
		for i, l := range lines(f.Get("widen")) {
			p := strings.Fields(l)
			after, err := strconv.Atoi(p[0])
			if len(p) != 2 || err != nil {
				lineErr(errs, "widen", i, lang)
				continue
			}
			w := store.WidenStep{AfterSeconds: after}
			if p[1] == "any" {
				w.Any = true
			} else if w.MaxLevel, err = strconv.Atoi(p[1]); err != nil {
				lineErr(errs, "widen", i, lang)
				continue
			}
			q.Widen = append(q.Widen, w)
		}
		for i, l := range lines(f.Get("exitKeys")) {
			p := strings.Fields(l)
			if len(p) < 2 || len(p) > 3 {
				lineErr(errs, "exitKeys", i, lang)
				continue
			}
			e := store.QueueExit{Key: p[0], Kind: store.ExitKind(p[1])}
			if len(p) == 3 {
				e.Target = p[2]
			}
			q.ExitKeys = append(q.ExitKeys, e)
		}
		return q
	}
	return newKind("queues", fields, []string{"name", "number", "strategy", "members", "overflow", "hours"},
		url.Values{"strategy": {string(store.StrategyLongestIdle)}, "ringSeconds": {"20"}, "serviceLevelSeconds": {"20"}}, to, from)
}

// ints parses every element of p as an integer.
func ints(p []string) ([]int, bool) {
	out := make([]int, len(p))
	for i, v := range p {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// weekdays are the day names the weekly schedule is written with.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func hoursKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		zones := []option{{Value: "", Label: i18n.T(lang, "admin.tz.site")}}
		for _, z := range s.zones {
			zones = append(zones, option{Value: z, Label: z})
		}
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "timeZone", Type: "select", Options: zones},
			{Name: "weekly", Type: "lines", Hint: "admin.fmt.weekly"},
			{Name: "holidays", Type: "lines", Hint: "admin.fmt.holidays"},
		}
	}
	to := func(h store.Hours) url.Values {
		var wk, hol []string
		// Consecutive days with the same hours are written as one range
		// ("mon-fri 09:00-18:00"), the way they were most likely entered.
		name := func(d time.Weekday) string {
			if int(d) >= 0 && int(d) < len(weekdays) {
				return weekdays[d]
			}
			return strconv.Itoa(int(d))
		}
		for i := 0; i < len(h.Weekly); {
			r, j := h.Weekly[i], i+1
			for j < len(h.Weekly) && h.Weekly[j].Day == h.Weekly[j-1].Day+1 && h.Weekly[j].Start == r.Start && h.Weekly[j].End == r.End {
				j++
			}
			days := name(r.Day)
			if j-i > 1 {
				days += "-" + name(h.Weekly[j-1].Day)
			}
			wk = append(wk, days+" "+r.Start+"-"+r.End)
			i = j
		}
		for _, d := range h.Holidays {
			span := d.From
			if d.To != "" {
				span += ".." + d.To
			}
			hol = append(hol, strings.TrimSpace(span+" "+d.Name))
		}
		return url.Values{"name": {h.Name}, "timeZone": {h.TimeZone}, "weekly": {strings.Join(wk, "\n")}, "holidays": {strings.Join(hol, "\n")}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Hours {
		h := store.Hours{Name: f.Get("name"), TimeZone: f.Get("timeZone")}
		for i, l := range lines(f.Get("weekly")) {
			// "mon-fri 09:00-18:00", "sat 22:00-06:00" (overnight), "sun 0:00-24:00"
			days, span, ok := strings.Cut(l, " ")
			start, end, ok2 := strings.Cut(strings.TrimSpace(span), "-")
			from, to, ok3 := dayRange(days)
			if !ok || !ok2 || !ok3 {
				lineErr(errs, "weekly", i, lang)
				continue
			}
			for d := from; ; d = (d + 1) % 7 {
				h.Weekly = append(h.Weekly, store.WeeklyRange{Day: time.Weekday(d), Start: strings.TrimSpace(start), End: strings.TrimSpace(end)})
				if d == to {
					break
				}
			}
		}
		for _, l := range lines(f.Get("holidays")) {
			// "2026-10-01..2026-10-07 National Day", "01-01 New Year"
			span, name, _ := strings.Cut(l, " ")
			from, to, _ := strings.Cut(span, "..")
			h.Holidays = append(h.Holidays, store.Holiday{From: from, To: to, Name: strings.TrimSpace(name)})
		}
		return h
	}
	return newKind("hours", fields, []string{"name", "timeZone", "weekly", "holidays"}, url.Values{"weekly": {"mon-fri 09:00-18:00"}}, to, from)
}

// dayRange reads "mon" or "mon-fri" (wrapping over the week end).
func dayRange(v string) (from, to int, ok bool) {
	a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(v)), "-")
	from = slices.Index(weekdays, a)
	to = from
	if isRange {
		to = slices.Index(weekdays, b)
	}
	return from, to, from >= 0 && to >= 0
}
