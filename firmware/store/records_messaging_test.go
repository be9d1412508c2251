package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validMessagingRecords are valid records of the messaging kinds, for the
// table of every kind in records_test.go.
func validMessagingRecords() []Record {
	return []Record{
		AutoReply{Name: "closed", Order: 5, Enabled: true, Regexp: `(?i)\bopen\b`, Sender: "_+86.", Line: "gsm0", Hours: "office", WhenClosed: true,
			ReplyEN: "We are closed.", ReplyZH: "我们已下班。", Tag: "after-hours"},
		Conversation{Thread: "+8613800138000", ClosedAt: t0, ClosedBy: "lina", Queue: "sales", Tags: []string{"after-hours"}, UpdatedAt: t0},
	}
}

func TestAutoReply_FieldsAreNamedWithTheirCode(t *testing.T) {
	cases := []struct {
		r    AutoReply
		want map[string]string
	}{
		{AutoReply{Name: "x", Regexp: "(open", ReplyEN: "hi"}, map[string]string{"regexp": codeRegexp}},
		{AutoReply{Name: "x", Regexp: strings.Repeat("a", MaxRuleRegexp+1), ReplyEN: "hi"}, map[string]string{"regexp": codeRegexp}},
		{AutoReply{Name: "x", Regexp: "(a{1000}){1000}", ReplyEN: "hi"}, map[string]string{"regexp": codeRegexp}},
		{AutoReply{Name: "x", Keyword: "two words", ReplyEN: "hi"}, map[string]string{"keyword": codeKeyword}},
		{AutoReply{Name: "x", ReplyEN: "hi"}, map[string]string{"keyword": codeMatchAll}},
		{AutoReply{Name: "x", Keyword: "hours"}, map[string]string{"replyEn": codeNoAction}},
		{AutoReply{Name: "x", WhenClosed: true, ReplyEN: "hi"}, map[string]string{"hours": codeRequired, "keyword": codeMatchAll}},
		{AutoReply{Name: "x", Sender: "_13a", ReplyEN: "hi"}, map[string]string{"sender": codePattern}},
		{AutoReply{Name: "bad name", Order: MaxRuleOrder + 1, Keyword: "k", ReplyZH: "a\x00", Queue: "no queue", Tag: "a b"},
			map[string]string{"name": codeName, "order": codeRange, "replyZh": codeUnknown, "queue": codeName, "tag": codeName}},
		{AutoReply{Name: "x", Keyword: "k", ReplyEN: strings.Repeat("a", MaxSMSText+1)}, map[string]string{"replyEn": codeTooLong}},
	}
	for _, c := range cases {
		var ve *ValidationError
		if err := c.r.Validate(); !errors.As(err, &ve) {
			t.Errorf("%+v: got %v, want a validation error", c.r, err)
			continue
		}
		got := map[string]string{}
		for _, f := range ve.Fields {
			got[f.Field] = f.Code
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v:\n got %v\nwant %v", c.r, got, c.want)
		}
	}
}

func TestAutoReply_BadRegexpMessageNamesTheParserComplaint(t *testing.T) {
	err := AutoReply{Name: "x", Regexp: "(open", ReplyEN: "hi"}.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	msg := ve.Messages("en")["regexp"]
	if !strings.Contains(msg, "missing closing )") {
		t.Errorf("message %q does not say what is wrong", msg)
	}
}

func TestAutoReply_QueueOnlyRuleMayMatchEverything(t *testing.T) {
	// Routing every message to a queue leaves nobody unanswered.
	if err := (AutoReply{Name: "all-to-sales", Queue: "sales"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAutoReply_SortedByOrderThenName(t *testing.T) {
	rs := []AutoReply{{Name: "b", Order: 2}, {Name: "c", Order: 1}, {Name: "a", Order: 2}}
	SortAutoReplies(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.Name)
	}
	if strings.Join(got, ",") != "c,a,b" {
		t.Fatalf("order %v", got)
	}
}

func TestConversation_StoredAndRefusedWithBadTags(t *testing.T) {
	s := openTemp(t)
	c := Conversation{Thread: "+8613800138000", ClosedAt: t0, ClosedBy: "lina", Tags: []string{"vip"}, UpdatedAt: t0.Add(time.Second)}
	if _, err := Put(s, c); err != nil {
		t.Fatal(err)
	}
	got, err := Get[Conversation](s, c.Thread)
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("got %+v, %v", got, err)
	}
	bad := Conversation{Thread: "+86", Tags: []string{"a", "a", "b c"}}
	var ve *ValidationError
	if _, err := Put(s, bad); !errors.As(err, &ve) {
		t.Fatalf("bad tags stored: %v", err)
	}
}
