package dialplan

import (
	"errors"
	"strings"
	"testing"

	"callbox/acd"
	"callbox/firmware/store"
)

// countryPlans are one plausible site per country: how its installer
// wrote the outbound routes for what its phones dial.
func countryPlans(t *testing.T) map[string]*Plan {
	t.Helper()
	cfgs := map[string]Config{
		// China: no access code, the default route of FromRecords.
		"cn": {Extensions: []string{"201", "301"}, Outbound: []OutboundRoute{
			{Name: "pstn", Pattern: "_XX!", Gateways: []Gateway{trunkA}},
		}},
		// US: 9 for an outside line.
		"us": {Extensions: []string{"201", "301"}, Outbound: []OutboundRoute{
			{Name: "outside", Pattern: "_9.", Strip: 1, Gateways: []Gateway{trunkA, line1}},
		}},
		// UK: mobiles over a GSM line, international only for 3xx.
		"uk": {Extensions: []string{"201", "301"}, Outbound: []OutboundRoute{
			{Name: "mobile", Pattern: "_07XXXXXXXXX", Gateways: []Gateway{line1}},
			{Name: "intl", Pattern: "_00.", From: "_3XX", Gateways: []Gateway{trunkB}},
			{Name: "national", Pattern: "_0[1-9]XXXXXXXX!", Gateways: []Gateway{trunkA}},
		}},
		// A German site on an E.164 SIP trunk for Germany, the rest by line.
		"eu": {Extensions: []string{"201", "301"}, Outbound: []OutboundRoute{
			{Name: "de-e164", Pattern: "_+49.", Gateways: []Gateway{trunkB}},
			{Name: "all", Pattern: "_0.", Gateways: []Gateway{line1}},
		}},
	}
	plans := map[string]*Plan{}
	for country, c := range cfgs {
		c.Country, c.Numbering = country, NumberingFor(country)
		p, err := Compile(c)
		if err != nil {
			t.Fatalf("%s: %v", country, err)
		}
		plans[country] = p
	}
	return plans
}

func TestPlan_E164DialsAsTheSiteDials(t *testing.T) {
	plans := countryPlans(t)
	type want struct {
		action Action
		rule   string
		number string
		dialed string
	}
	cases := []struct {
		country, via, dialed string
		want                 want
	}{
		// China: home mobile with the trunk prefix, foreign with 00.
		{"cn", "201", "+8613800138000", want{ActionOutbound, "outbound:pstn(as 013800138000)", "013800138000", "+8613800138000"}},
		{"cn", "201", "+14155550100", want{ActionOutbound, "outbound:pstn(as 0014155550100)", "0014155550100", "+14155550100"}},
		{"cn", "201", "013800138000", want{ActionOutbound, "outbound:pstn", "013800138000", ""}},
		{"cn", "201", "10086", want{ActionOutbound, "outbound:pstn", "10086", ""}},
		{"cn", "201", "301", want{ActionExtension, "extension", "", ""}},
		{"cn", "201", "120", want{ActionEmergency, "emergency", "120", ""}},
		// US: behind the access code 9, which the route strips again.
		{"us", "201", "+14155550100", want{ActionOutbound, "outbound:outside(as 14155550100)", "14155550100", "+14155550100"}},
		{"us", "201", "+8613800138000", want{ActionOutbound, "outbound:outside(as 0118613800138000)", "0118613800138000", "+8613800138000"}},
		{"us", "201", "914155550100", want{ActionOutbound, "outbound:outside", "14155550100", ""}},
		{"us", "201", "9411", want{ActionOutbound, "outbound:outside", "411", ""}},
		{"us", "201", "301", want{ActionExtension, "extension", "", ""}},
		{"us", "201", "911", want{ActionEmergency, "emergency", "911", ""}},
		// UK: the first route that takes the dialled form wins; the
		// international route stays barred to 2xx.
		{"uk", "201", "+447700900123", want{ActionOutbound, "outbound:mobile(as 07700900123)", "07700900123", "+447700900123"}},
		{"uk", "201", "+442079460000", want{ActionOutbound, "outbound:national(as 02079460000)", "02079460000", "+442079460000"}},
		{"uk", "301", "+33142685300", want{ActionOutbound, "outbound:intl(as 0033142685300)", "0033142685300", "+33142685300"}},
		{"uk", "201", "+33142685300", want{ActionReject, "outbound-barred", "", ""}},
		{"uk", "201", "02079460000", want{ActionOutbound, "outbound:national", "02079460000", ""}},
		{"uk", "201", "999", want{ActionEmergency, "emergency", "999", ""}},
		{"uk", "201", "301", want{ActionExtension, "extension", "", ""}},
		// EU: the route written for "+49" wins and sends E.164; other
		// countries go out with 00.
		{"eu", "201", "+4930123456", want{ActionOutbound, "outbound:de-e164", "+4930123456", ""}},
		{"eu", "201", "+33142685300", want{ActionOutbound, "outbound:all(as 0033142685300)", "0033142685300", "+33142685300"}},
		{"eu", "201", "030123456", want{ActionOutbound, "outbound:all", "030123456", ""}},
		{"eu", "201", "112", want{ActionEmergency, "emergency", "112", ""}},
		{"eu", "201", "201", want{ActionExtension, "extension", "", ""}},
		// Not E.164: a "+" somewhere else is no number of any route.
		{"cn", "201", "+0123456789", want{ActionReject, "no-route", "", ""}},
		{"cn", "201", "86+13800138000", want{ActionOutbound, "outbound:pstn", "86+13800138000", ""}},
	}
	for _, c := range cases {
		d := plans[c.country].Decide(Facts{Source: acd.SourceExtension, Via: c.via, Caller: c.via, Dialed: c.dialed})
		got := want{d.Action, d.Rule, d.Number, d.Dialed}
		if got != c.want {
			t.Errorf("%s: %s dials %s: got %+v, want %+v", c.country, c.via, c.dialed, got, c.want)
		}
	}
}

func TestPlan_RouteWrittenForPlusWinsOverTheDialledForm(t *testing.T) {
	c := Config{Country: "cn", Numbering: NumberingFor("cn"), Outbound: []OutboundRoute{
		{Name: "pstn", Pattern: "_0.", Gateways: []Gateway{line1}},
		{Name: "sip-e164", Pattern: "_+.", Gateways: []Gateway{trunkA}},
	}}
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "+8613800138000"})
	if d.Rule != "outbound:sip-e164" || d.Number != "+8613800138000" || d.Gateways[0] != trunkA {
		t.Fatalf("got %+v, want the + route with the number as dialled", d)
	}
}

func TestPlan_E164WithoutNumberingNeedsAPlusRoute(t *testing.T) {
	p, err := Compile(Config{Outbound: []OutboundRoute{{Name: "pstn", Pattern: "_XX!", Gateways: []Gateway{line1}}}})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "+8613800138000"})
	if d.Action != ActionReject || d.Rule != "no-route" {
		t.Fatalf("got %+v, want no-route", d)
	}
}

func TestPlan_E164SkipsARouteWhoseStrippedDigitsAreNotFixed(t *testing.T) {
	c := Config{Country: "us", Numbering: NumberingFor("us"), Outbound: []OutboundRoute{
		{Name: "either", Pattern: "_[89]1NXXNXXXXXX", Strip: 1, Gateways: []Gateway{trunkA}},
		{Name: "nine", Pattern: "_9.", Strip: 1, Gateways: []Gateway{line1}},
	}}
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "+14155550100"})
	if d.Rule != "outbound:nine(as 14155550100)" || d.Number != "14155550100" {
		t.Fatalf("got %+v", d)
	}
}

func TestOutward_FormsPerCountry(t *testing.T) {
	cases := []struct {
		country, e164 string
		want          []string
	}{
		{"cn", "+8613800138000", []string{"013800138000", "13800138000"}},
		{"cn", "+861088886666", []string{"01088886666", "1088886666"}},
		{"cn", "+442079460000", []string{"00442079460000"}},
		{"us", "+14155550100", []string{"14155550100", "4155550100"}},
		{"us", "+8613800138000", []string{"0118613800138000"}},
		{"uk", "+442079460000", []string{"02079460000", "2079460000"}},
		{"uk", "+14155550100", []string{"0014155550100"}},
		{"eu", "+4930123456", []string{"004930123456"}},
		{"cn", "13800138000", nil},
		{"cn", "+", nil},
	}
	for _, c := range cases {
		got := Outward(NumberingFor(c.country), c.e164)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("Outward(%s, %s) = %q, want %q", c.country, c.e164, got, c.want)
		}
	}
}

func TestFormatNumber_PerTrunkFormat(t *testing.T) {
	cases := []struct {
		country, number string
		f               NumberFormat
		want            string
	}{
		{"cn", "013800138000", FormatE164, "+8613800138000"},
		{"cn", "0014155550100", FormatE164, "+14155550100"},
		{"cn", "13800138000", FormatE164, "+8613800138000"},
		{"cn", "110", FormatE164, "110"},
		{"cn", "10086", FormatE164, "10086"},
		{"cn", "+8613800138000", FormatE164, "+8613800138000"},
		{"cn", "+8613800138000", FormatNational, "013800138000"},
		{"cn", "+14155550100", FormatNational, "0014155550100"},
		{"cn", "013800138000", FormatNational, "013800138000"},
		{"cn", "+8613800138000", FormatAsDialed, "+8613800138000"},
		{"us", "14155550100", FormatE164, "+14155550100"},
		{"us", "0118613800138000", FormatE164, "+8613800138000"},
		{"us", "911", FormatE164, "911"},
		{"uk", "02079460000", FormatE164, "+442079460000"},
		{"uk", "999", FormatE164, "999"},
		{"eu", "004930123456", FormatE164, "+4930123456"},
		{"eu", "030123456", FormatE164, "030123456"},
		{"cn", "*97", FormatE164, "*97"},
	}
	for _, c := range cases {
		if got := FormatNumber(NumberingFor(c.country), c.number, c.f); got != c.want {
			t.Errorf("FormatNumber(%s, %s, %q) = %q, want %q", c.country, c.number, c.f, got, c.want)
		}
	}
}

func TestParseE164(t *testing.T) {
	good := map[string]string{"+8613800138000": "8613800138000", "+12": "12", "+123456789012345": "123456789012345"}
	for in, want := range good {
		if got, err := ParseE164(in); err != nil || got != want {
			t.Errorf("ParseE164(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "+", "+1", "8613800138000", "+0086138", "+86 138", "+1234567890123456", "++86", "+86*1"} {
		if _, err := ParseE164(in); !errors.Is(err, ErrE164) {
			t.Errorf("ParseE164(%q): err %v, want ErrE164", in, err)
		}
	}
}

func FuzzParseE164(f *testing.F) {
	for _, s := range []string{"+8613800138000", "+14155550100", "+", "+0", "0086138", "+44 20", "+123456789012345678"} {
		f.Add(s)
	}
	plans := map[string]*Plan{}
	for _, country := range []string{"cn", "us", "uk", "eu"} {
		p, err := Compile(Config{Country: country, Numbering: NumberingFor(country), Outbound: []OutboundRoute{
			{Name: "out", Pattern: "_9!", Strip: 1, Gateways: []Gateway{line1}},
		}})
		if err != nil {
			f.Fatal(err)
		}
		plans[country] = p
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits, err := ParseE164(s)
		if err != nil {
			if !errors.Is(err, ErrE164) {
				t.Fatalf("error %v does not wrap ErrE164", err)
			}
			if Outward(NumberingFor("cn"), s) != nil {
				t.Fatalf("Outward of non-E.164 %q", s)
			}
		} else if "+"+digits != s || len(digits) > 15 || !allDigits(digits) {
			t.Fatalf("ParseE164(%q) = %q", s, digits)
		}
		for country, p := range plans {
			n := NumberingFor(country)
			for _, form := range Outward(n, s) {
				if !allDigits(form) || form == "" {
					t.Fatalf("%s: Outward(%q) has %q", country, s, form)
				}
			}
			if err == nil && FormatNumber(n, s, FormatE164) != s {
				t.Fatalf("%s: E.164 %q not kept as E.164", country, s)
			}
			d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: s})
			if d.Action == ActionOutbound && !validNumber(d.Number) {
				t.Fatalf("%s: %q sent as %q", country, s, d.Number)
			}
		}
	})
}

func TestFromRecords_SiteCountryDialsE164OverTheDefaultRoute(t *testing.T) {
	set := store.Settings{Country: "uk"}
	trunks := []store.Trunk{{Name: "carrier", Host: "127.0.0.1", Transport: store.TransportUDP, Enabled: true}}
	c, err := FromRecords(set, nil, nil, trunks, Routes{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "+442079460000"})
	if d.Rule != "outbound:default(as 02079460000)" || d.Number != "02079460000" || d.Dialed != "+442079460000" {
		t.Fatalf("got %+v", d)
	}
}
