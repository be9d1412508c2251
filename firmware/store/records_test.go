package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// validRecords holds one valid record of every kind.
func validRecords() []Record {
	u := User{Name: "admin", Role: RoleAdmin, Lang: i18n.ZH, CreatedAt: t0}
	u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$gYRrD7nM4mqbsSjS7YpjxQpW1oGZ6dIZ/yI0Tm2c4fM"
	return slices.Concat([]Record{
		Settings{SiteName: "Shop", Lang: i18n.ZH, Country: "cn", TimeZone: "Asia/Shanghai", PauseReasons: []string{"lunch", "training"}, AutoPauseAfter: 3},
		u,
		goodExtension("201"),
		Trunk{Name: "carrier", Host: "sip.example.net", Transport: TransportUDP, Username: "u", Secret: "p", Register: true, CallerID: "+861012345678", Codecs: []string{"PCMA", "PCMU"}, Enabled: true},
		Line{ID: "fxo1", Type: LineFXO, Device: "sim:1", Number: "01012345678", Enabled: true},
		Agent{ID: "11", Name: "Li Na", Extension: "201", Skills: []SkillLevel{{"billing", 7}, {"zh", 10}}, Enabled: true},
		Skill{Name: "billing", Description: "Invoices"},
		Queue{Name: "sales", Number: "600", Strategy: StrategySkills, Skills: []QueueSkill{{"billing", 3}},
			Members: []QueueMember{{Agent: "11", Penalty: 1, Level: 5, Weight: 2}}, MaxWaitSeconds: 300, Widen: []WidenStep{{AfterSeconds: 60, MaxLevel: 1}, {AfterSeconds: 120, Any: true}},
			AnnounceSeconds: 45, AnnounceWait: true, ExitKeys: []QueueExit{{Key: "1", Kind: ExitCallback}, {Key: "0", Kind: ExitVoicemail, Target: "201"}},
			JoinWhen: PresenceLoggedIn, StayWhen: PresenceUnpaused, AffinitySeconds: 86400, AffinityHoldSeconds: 20, SkipSeconds: 30,
			CallbackTries: 4, CallbackRetrySeconds: 120, HandleSamples: 50},
		Flow{ID: "main", Name: "Main menu", Version: 3, Published: true, Doc: json.RawMessage(`{"start":"hello","nodes":{}}`)},
		Hours{Name: "office", Weekly: []WeeklyRange{{time.Monday, "09:00", "18:00"}, {time.Saturday, "10:00", "24:00"}}, Holidays: []Holiday{{Name: "National Day", From: "2026-10-01", To: "2026-10-07"}, {From: "2026-12-25"}}},
		Customer{ID: "c1", Name: "Wang Wei", Numbers: []string{"+8613800138000", "01087654321"}, Email: "wang@example.cn"},
		Contact{ID: "k1", Number: "+8613800138000", CustomerID: "c1", Channel: ChannelCall, Direction: DirectionIn, At: t0, Agent: "11"},
		CDR{ID: "call-1", Caller: "+8613800138000", Callee: "600", Direction: DirectionIn, Start: t0, Answer: t0.Add(5 * time.Second), End: t0.Add(time.Minute), Disposition: DispositionAnswered, HangupSide: HangupCaller, HangupCause: 16, Recording: "r1", MOS: 4.2},
		Recording{ID: "r1", Path: "rec/2026/11/27/call-1.wav", SHA256: strings.Repeat("ab", 32), Duration: 55 * time.Second},
		Registration{Extension: "201", Contact: "sip:201@192.168.1.20:5062;transport=udp", Expires: t0.Add(time.Hour), Source: "192.168.1.20:5062", Transport: TransportUDP, UserAgent: "Yealink"},
		Message{ID: "m1", Channel: ChannelSMS, Direction: DirectionOut, Number: "+8613800138000", Text: "您好", State: StateQueued, CreatedAt: t0},
		validCallback(),
		QueueInterval{Queue: "sales", Start: t0, Offered: 10, Answered: 7, AnsweredInSL: 6, Abandoned: 2, AbandonedShort: 1, Callbacks: 1,
			AnswerWait: 70 * time.Second, LongestWait: 40 * time.Second, Handled: 6, TalkTime: 20 * time.Minute, WrapTime: time.Minute},
	}, validCTIRecords(), validAuditRecords(), validSIPBanRecords(), validAgentEventRecords(), validRouteRecords(),
		validMessagingRecords(), validFollowupRecords(), validWrapUpRecords(), validCTI3Records(),
		validCustomerFieldRecords(), validRetentionRecords(), validSessionRecords())
}

func validCallback() Callback {
	return Callback{ID: "call-7", Queue: "sales", Number: "+8613800138000", Caller: "13800138000", Lang: i18n.ZH, Priority: 2,
		Requirements: []QueueSkill{{"zh", 1}}, Joined: t0, Seq: 7, CreatedAt: t0.Add(time.Minute), State: "pending", Attempts: 1,
		NextAttempt: t0.Add(5 * time.Minute), Outcome: "busy", UpdatedAt: t0.Add(2 * time.Minute)}
}

func TestRecords_ValidOfEveryKindPassAndRoundTrip(t *testing.T) {
	s := openTemp(t)
	seen := map[Kind]bool{}
	for _, r := range validRecords() {
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", r.Kind(), err)
			continue
		}
		seen[r.Kind()] = true
		b, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRecord(r.Kind(), b)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind(), err)
		}
		b2, _ := encode(back)
		if string(b) != string(b2) {
			t.Errorf("%s: round trip changed %s into %s", r.Kind(), b, b2)
		}
		if _, err := s.commit(r.Kind(), r.Key(), OpPut, b, modeAny); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range Kinds() {
		if !seen[k] {
			t.Errorf("no valid %s in the table", k)
		}
	}
	if probs, err := s.Check(); err != nil || len(probs) != 0 {
		t.Fatalf("Check: %v %v", probs, err)
	}
}

// invalid lists a record and the field errors it must produce.
type invalid struct {
	r    Record
	want map[string]string // field -> code
}

func TestRecords_InvalidFieldsAreNamedWithTheirCode(t *testing.T) {
	cases := []invalid{
		{Settings{Lang: "fr", Country: "de", TimeZone: "Mars/Olympus"}, map[string]string{"siteName": codeRequired, "lang": codeLang, "country": codeOneOf, "timeZone": codeTimeZone}},
		{Settings{SiteName: "x", Lang: "en", Country: "us", TimeZone: "Local"}, map[string]string{"timeZone": codeTimeZone}},
		{User{Name: "bad name", Role: "root", PasswordHash: "plain"}, map[string]string{"name": codeName, "role": codeOneOf, "password": codeHash}},
		{User{Name: "ok"}, map[string]string{"role": codeRequired, "password": codeRequired}},
		{Extension{Number: "1", Secret: "Abcdefgh12"}, map[string]string{"number": codeDigits}},
		{Extension{Number: "123456789", Secret: "Abcdefgh12"}, map[string]string{"number": codeDigits}},
		{Extension{Number: "201", Secret: "201"}, map[string]string{"secret": codeSecretIsNumber}},
		{Extension{Number: "2001", Secret: "Abc-2001-xyz"}, map[string]string{"secret": codeSecretIsNumber}},
		{Extension{Number: "201", Secret: "abcdefghijk"}, map[string]string{"secret": codeWeakSecret}},
		{Extension{Number: "201", Secret: "Ab1-short"}, map[string]string{"secret": codeWeakSecret}},
		{Extension{Number: "201", Secret: "Abcdefgh12", AllowedNets: []string{"10.0.0.0/8", "nonsense"}, ForwardBusy: "abc", Lang: "de"}, map[string]string{"allowedNets[1]": codeCIDR, "forwardBusy": codeNumber, "lang": codeLang}},
		{Trunk{Name: "t", Host: "bad host!", Port: 70000, Transport: "sctp", Register: true, CallerID: "8610", Codecs: []string{"G729", "PCMA", "PCMA"}}, map[string]string{"host": codeHost, "port": codeRange, "transport": codeOneOf, "username": codeRequired, "secret": codeRequired, "callerId": codeE164, "codecs[0]": codeOneOf, "codecs[2]": codeDuplicate}},
		{Line{ID: "l1", Type: "isdn"}, map[string]string{"type": codeOneOf, "device": codeRequired}},
		{Line{ID: "l1", Name: "two\nlines", Type: LineFXO, Device: "sim:1\x00"}, map[string]string{"name": codeUnknown, "device": codeUnknown}},
		{Agent{ID: "11", Name: "A", Skills: []SkillLevel{{"x", 0}, {"x", 11}}}, map[string]string{"skills[0].level": codeRange, "skills[1].level": codeRange, "skills[1]": codeDuplicate}},
		{Queue{Name: "q", Strategy: "fastest", Skills: []QueueSkill{{"x", 12}}}, map[string]string{"strategy": codeOneOf, "skills[0].minLevel": codeRange}},
		{Queue{Name: "q", Strategy: StrategyWeightedRandom, Overflow: "q",
			Members:          []QueueMember{{Agent: "1", Penalty: -1, Level: 0, Weight: 0}, {Agent: "12", Level: 1, Weight: 1}, {Agent: "12", Level: 11, Weight: 101, Penalty: 101}},
			Widen:            []WidenStep{{AfterSeconds: 0}, {AfterSeconds: 60, MaxLevel: 2}, {AfterSeconds: 30, MaxLevel: 1}, {AfterSeconds: 90, Any: true, MaxLevel: 3}},
			ExitKeys:         []QueueExit{{Key: "12", Kind: ExitCallback, Target: "x"}, {Key: "0", Kind: ExitVoicemail}, {Key: "0", Kind: "sms"}, {Key: "#", Kind: ExitFlow, Target: "bad name"}},
			AnnouncePosition: true, JoinWhen: "never", StayWhen: "sometimes", AffinitySeconds: -1, AffinityHoldSeconds: 3601, SkipSeconds: 4000,
			CallbackTries: 21, CallbackRetrySeconds: -5, HandleSamples: 1001},
			map[string]string{"overflow": codeOverflowSelf, "members[0].agent": codeDigits, "members[0].penalty": codeRange, "members[0].level": codeRange, "members[0].weight": codeRange,
				"members[2].level": codeRange, "members[2].weight": codeRange, "members[2].penalty": codeRange, "members[2]": codeDuplicate,
				"widen[0].afterSeconds": codeRange, "widen[0].maxLevel": codeRange, "widen[2].afterSeconds": codeWidenOrder, "widen[3].maxLevel": codeWidenAny,
				"exitKeys[0].key": codeExitKey, "exitKeys[0].target": codeExitTarget, "exitKeys[1].target": codeRequired, "exitKeys[2].kind": codeOneOf, "exitKeys[2]": codeDuplicate,
				"exitKeys[3].target": codeName, "announceSeconds": codeAnnounceEvery, "joinWhen": codeOneOf, "stayWhen": codeOneOf,
				"affinitySeconds": codeRange, "affinityHoldSeconds": codeRange, "skipSeconds": codeRange, "callbackTries": codeRange,
				"callbackRetrySeconds": codeRange, "handleSamples": codeRange}},
		{Queue{Name: "q", Strategy: StrategyLeastTalkTime, AnnounceSeconds: 5}, map[string]string{"announceSeconds": codeRange}},
		{Settings{SiteName: "x", Lang: "en", Country: "us", TimeZone: "UTC", PauseReasons: []string{"lunch", "Coffee Break", "lunch", ""}, AutoPauseAfter: 21},
			map[string]string{"pauseReasons[1]": codePauseReason, "pauseReasons[2]": codeDuplicate, "pauseReasons[3]": codePauseReason, "autoPauseAfter": codeRange}},
		{Callback{ID: "", Queue: "bad queue", Number: "12", Lang: "fr", Requirements: []QueueSkill{{"", 11}}, State: "lost", Outcome: "maybe", Attempts: -1, Agent: "x"},
			map[string]string{"id": codeRequired, "queue": codeName, "number": codeCallbackNumber, "lang": codeLang, "requirements[0].skill": codeRequired,
				"requirements[0].minLevel": codeRange, "joined": codeRequired, "createdAt": codeRequired, "state": codeOneOf, "outcome": codeOneOf, "attempts": codeRange, "agent": codeDigits}},
		{Callback{ID: "c", Queue: "q", Number: "+86-138", Joined: t0, CreatedAt: t0.Add(-time.Second), State: "done"}, map[string]string{"number": codeCallbackNumber, "createdAt": codeTimeOrder}},
		{QueueInterval{Queue: "q", Start: t0.Add(time.Millisecond), Offered: 1, Answered: 2, AnsweredInSL: 3, Abandoned: -1, Handled: -1, TalkTime: -time.Second},
			map[string]string{"start": codeWholeSeconds, "answered": codeRange, "answeredInSL": codeRange, "abandoned": codeRange, "abandonedShort": codeRange, "handled": codeRange, "talkTime": codeNegative}},
		{QueueInterval{}, map[string]string{"queue": codeRequired, "start": codeRequired}},
		{Flow{ID: "f", Name: "F", Version: 0, Doc: json.RawMessage(`[1,2]`)}, map[string]string{"version": codeRange, "doc": codeJSONObject}},
		{Flow{ID: "f", Name: "F", Version: 1, Doc: json.RawMessage(`{"a":`)}, map[string]string{"doc": codeJSONObject}},
		{Hours{Name: "h", TimeZone: "Nowhere/City", Weekly: []WeeklyRange{{7, "9:00", "18:00"}, {1, "18:00", "18:00"}, {2, "09:00", "24:30"}, {3, "24:00", "06:00"}}, Holidays: []Holiday{{From: "2026-13-01"}, {From: "2026-10-07", To: "2026-10-01"}, {From: "02-30"}, {From: "12-24", To: "2026-12-26"}}}, map[string]string{"timeZone": codeTimeZone, "weekly[0].day": codeRange, "weekly[0].start": codeClock, "weekly[1].end": codeClockOrder, "weekly[2].end": codeClock, "weekly[3].start": codeClock, "holidays[0].from": codeDate, "holidays[1].to": codeDateOrder, "holidays[2].from": codeDate, "holidays[3].to": codeDate}},
		{Customer{ID: "c", Name: "", Numbers: []string{"+86138", "1", "+86138"}, Email: "nope"}, map[string]string{"name": codeRequired, "numbers[1]": codeNumber, "numbers[2]": codeDuplicate, "email": codeEmail}},
		{Contact{ID: "k", Number: "x", Channel: "pigeon"}, map[string]string{"number": codeNumber, "channel": codeOneOf, "direction": codeRequired, "at": codeRequired}},
		{CDR{ID: "c", Caller: "1", Callee: "2", Direction: DirectionIn, Start: t0, Answer: t0.Add(-time.Second), End: t0.Add(-2 * time.Second), Disposition: "meh", HangupSide: "both", HangupCause: 200, MOS: 7}, map[string]string{"answer": codeTimeOrder, "end": codeTimeOrder, "disposition": codeOneOf, "hangupSide": codeOneOf, "hangupCause": codeRange, "mos": codeRange}},
		{CDR{ID: "c", Caller: "1", Callee: "2", Direction: DirectionIn, Start: t0, End: t0, Disposition: DispositionAnswered}, map[string]string{"answer": codeRequired}},
		{Recording{ID: "r", Path: "../etc/passwd", SHA256: strings.Repeat("AB", 32), Duration: -1}, map[string]string{"path": codePath, "sha256": codeSHA256, "duration": codeRange}},
		{Recording{ID: "r", Path: "/abs.wav", SHA256: "ab"}, map[string]string{"path": codePath, "sha256": codeSHA256}},
		{Registration{Extension: "201", Contact: "http://x", Source: "1.2.3.4", Transport: "udp"}, map[string]string{"contact": codeURI, "expires": codeRequired, "source": codeAddr}},
		{Message{ID: "m", Channel: ChannelCall, Direction: DirectionIn, Number: "+8613800138000", State: StateSent, CreatedAt: t0}, map[string]string{"channel": codeOneOf, "state": codeStateDirection}},
		{Message{ID: "m", Channel: ChannelSMS, Direction: DirectionOut, Number: "+8613800138000", State: StateReceived, Attempts: -1}, map[string]string{"text": codeRequired, "state": codeStateDirection, "attempts": codeRange, "createdAt": codeRequired}},
		{Message{ID: "m", Channel: ChannelFax, Direction: DirectionIn, Number: "+8613800138000", State: StateReceived, CreatedAt: t0}, map[string]string{"path": codeRequired}},
		{Message{ID: "m", Channel: ChannelFax, Direction: DirectionOut, Number: "+8613800138000", State: StateQueued, CreatedAt: t0}, map[string]string{"path": codeRequired}},
	}
	for _, tc := range cases {
		err := tc.r.Validate()
		var verr *ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("%s %+v: want *ValidationError, got %v", tc.r.Kind(), tc.r, err)
			continue
		}
		got := map[string]string{}
		for _, f := range verr.Fields {
			if !i18n.Has(f.Code) {
				t.Errorf("%s: code %q is not in the catalogue", tc.r.Kind(), f.Code)
			}
			got[f.Field] = f.Code
		}
		for field, code := range tc.want {
			if got[field] != code {
				t.Errorf("%s: field %s: want %s, got %q (all: %v)", tc.r.Kind(), field, code, got[field], got)
			}
		}
		for field := range got {
			if _, ok := tc.want[field]; !ok {
				t.Errorf("%s: unexpected error on %s (%s)", tc.r.Kind(), field, got[field])
			}
		}
		for _, lang := range i18n.Langs {
			for field, msg := range verr.Messages(lang) {
				if msg == "" || strings.HasPrefix(msg, "store.err.") || strings.Contains(msg, "%!") {
					t.Errorf("%s %s in %s: bad message %q", tc.r.Kind(), field, lang, msg)
				}
			}
		}
	}
}

func TestMessage_FaxCutOffBeforeFirstPageNeedsNoPath(t *testing.T) {
	m := Message{ID: "m", Channel: ChannelFax, Direction: DirectionIn, Number: "+8613800138000", State: StateReceived, Partial: true, CreatedAt: t0}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidationError_WrapsWeakPassword(t *testing.T) {
	err := Extension{Number: "201", Secret: "short"}.Validate()
	if !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak secret not ErrWeakPassword: %v", err)
	}
	if errors.Is(Extension{Number: "2a", Secret: "Abcdefgh12"}.Validate(), ErrWeakPassword) {
		t.Fatal("bad number reported as weak password")
	}
}

func TestHours_OpenFollowsWeekAndHolidaysInItsZone(t *testing.T) {
	h := Hours{Name: "office", TimeZone: "Asia/Shanghai", Weekly: []WeeklyRange{{time.Friday, "09:00", "18:00"}}, Holidays: []Holiday{{From: "2026-10-01", To: "2026-10-07"}}}
	cases := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC), true},   // Fri 09:00 Shanghai
		{time.Date(2026, 11, 27, 0, 59, 0, 0, time.UTC), false}, // Fri 08:59
		{time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), false}, // Fri 18:00
		{time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), false},  // Saturday
		{time.Date(2026, 10, 2, 3, 0, 0, 0, time.UTC), false},   // Fri in the holiday
	}
	for _, c := range cases {
		if got := h.Open(c.at, time.UTC); got != c.open {
			t.Errorf("Open(%v) = %v, want %v", c.at, got, c.open)
		}
	}
}

func TestHours_AcceptsOvernightRangesAndYearlyHolidays(t *testing.T) {
	h := Hours{Name: "night", TimeZone: "Asia/Shanghai",
		Weekly: []WeeklyRange{{time.Friday, "22:00", "06:00"}, {time.Monday, "00:00", "24:00"}},
		Holidays: []Holiday{{Name: "New Year", From: "01-01"}, {Name: "Christmas", From: "12-24", To: "12-26"},
			{Name: "Turn of the year", From: "12-31", To: "01-02"}, {Name: "Leap day", From: "02-29"}}}
	if err := h.Validate(); err != nil {
		t.Fatalf("valid schedule refused: %v", err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	cases := []struct {
		at   string
		open bool
	}{
		{"2026-11-27 21:59", false}, // Fri before the night shift
		{"2026-11-27 22:00", true},  // Fri night
		{"2026-11-28 05:59", true},  // Sat morning: the tail of Friday's range
		{"2026-11-28 06:00", false},
		{"2026-11-30 12:00", true},  // Monday all day
		{"2026-12-25 23:00", false}, // a Friday inside the yearly Christmas range
		{"2027-12-24 23:00", false}, // next year too
		{"2027-01-01 23:00", false}, // Friday, New Year (and inside the wrap-around range)
		{"2027-01-02 02:00", false}, // tail of New Year's Day night is on a holiday date
		{"2027-01-08 23:00", true},
	}
	for _, c := range cases {
		at, err := time.ParseInLocation("2006-01-02 15:04", c.at, sh)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Open(at, time.UTC); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.at, got, c.open)
		}
	}
}

func TestGetSettings_ReturnsDefaultsUntilStored(t *testing.T) {
	s := openTemp(t)
	got, err := GetSettings(s)
	if err != nil || !reflect.DeepEqual(got, DefaultSettings()) || got.Validate() != nil {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	want := Settings{SiteName: "Shop", Lang: i18n.ZH, Country: "cn", TimeZone: "Asia/Shanghai", SetupDone: true}
	if _, err := Put(s, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := GetSettings(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored: %+v", got)
	}
	if want.Location().String() != "Asia/Shanghai" {
		t.Fatal("Location")
	}
}

func TestUpdate_ReadModifyWriteInOneTransaction(t *testing.T) {
	s := openTemp(t)
	m := Message{ID: "m1", Channel: ChannelSMS, Direction: DirectionOut, Number: "+8613800138000", Text: "hi", State: StateQueued, CreatedAt: t0}
	if _, err := Create(s, m); err != nil {
		t.Fatal(err)
	}
	ch, err := Update(s, "m1", func(m *Message) error { m.Attempts++; m.State = StateSending; return nil })
	if err != nil || ch.Seq != 2 {
		t.Fatalf("Update: %+v %v", ch, err)
	}
	got, _ := Get[Message](s, "m1")
	if got.Attempts != 1 || got.State != StateSending {
		t.Fatalf("after update %+v", got)
	}
	_, err = Update(s, "m1", func(m *Message) error { m.State = StateReceived; return nil })
	var verr *ValidationError
	if !errors.As(err, &verr) || s.Seq() != 2 {
		t.Fatalf("invalid update: %v (seq %d)", err, s.Seq())
	}
	if _, err := Update(s, "nope", func(*Message) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing key: %v", err)
	}
	if _, err := Update(s, "m1", func(m *Message) error { m.ID = "m2"; return nil }); err == nil {
		t.Fatal("update changed the key")
	}
}

func TestListFunc_StopsAndFiltersByPrefix(t *testing.T) {
	s := openTemp(t)
	for _, id := range []string{"a1", "b1", "b2", "b3", "c1"} {
		if _, err := Put(s, Skill{Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := ListFunc(s, "b", func(k Skill) bool { got = append(got, k.Name); return len(got) < 2 })
	if err != nil || strings.Join(got, ",") != "b1,b2" {
		t.Fatalf("ListFunc: %v %v", got, err)
	}
}
