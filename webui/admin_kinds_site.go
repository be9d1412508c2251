package webui

import (
	"net/url"
	"sort"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// siteKind edits the site settings after setup: the one Settings record
// ("site") through the generic record pages, so it gets the same field
// messages, CSRF and audit as every other record. Fields the form does
// not show (setup done, pause reasons) are kept from the stored record.
func siteKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		zones := make([]option, 0, len(s.zones))
		for _, z := range s.zones {
			zones = append(zones, option{Value: z, Label: z})
		}
		return []adminField{
			{Name: "key", Type: "text", Key: true},
			{Name: "siteName", Type: "text"},
			{Name: "lang", Type: "select", Options: siteLangs()},
			{Name: "country", Type: "select", Options: optionsOf(lang, "web.country.", store.Countries...)},
			{Name: "timeZone", Type: "select", Options: zones},
			{Name: "faxDestination", Type: "text", Hint: "admin.h.faxDestination"},
			{Name: "featureCodes", Type: "lines", Hint: "admin.fmt.featureCodes"},
			{Name: "emergency", Type: "lines", Hint: "admin.h.emergency"},
			{Name: "emergencyCallerId", Type: "text"},
			{Name: "autoPauseAfter", Type: "number"},
			{Name: "pauseReasons", Type: "lines"},
		}
	}
	to := func(st store.Settings) url.Values {
		codes := make([]string, 0, len(st.FeatureCodes))
		for f, c := range st.FeatureCodes {
			codes = append(codes, strings.TrimSpace(f+" "+c))
		}
		sort.Strings(codes)
		return url.Values{"key": {st.Key()}, "siteName": {st.SiteName}, "lang": {string(st.Lang)}, "country": {st.Country},
			"timeZone": {st.TimeZone}, "faxDestination": {st.FaxDestination}, "featureCodes": {strings.Join(codes, "\n")},
			"emergency": {strings.Join(st.Emergency, "\n")}, "emergencyCallerId": {st.EmergencyCallerID},
			"autoPauseAfter": {itoa(st.AutoPauseAfter)}, "pauseReasons": {strings.Join(st.PauseReasons, "\n")}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Settings {
		st, err := store.GetSettings(s.store)
		if err != nil {
			errs["siteName"] = i18n.T(lang, "web.error.internal")
		}
		st.SiteName, st.Lang, st.Country, st.TimeZone = f.Get("siteName"), i18n.Lang(f.Get("lang")), f.Get("country"), f.Get("timeZone")
		st.FaxDestination = strings.TrimSpace(f.Get("faxDestination"))
		st.Emergency, st.EmergencyCallerID = lines(f.Get("emergency")), strings.TrimSpace(f.Get("emergencyCallerId"))
		st.AutoPauseAfter, st.PauseReasons = atoi(f, "autoPauseAfter", errs, lang), lines(f.Get("pauseReasons"))
		// "feature code" per line; a feature alone switches it off.
		st.FeatureCodes = nil
		for i, l := range lines(f.Get("featureCodes")) {
			p := strings.Fields(l)
			if len(p) > 2 {
				lineErr(errs, "featureCodes", i, lang)
				continue
			}
			if st.FeatureCodes == nil {
				st.FeatureCodes = map[string]string{}
			}
			st.FeatureCodes[p[0]] = strings.Join(p[1:], "")
		}
		return st
	}
	k := newKind("site", fields, []string{"siteName", "lang", "country", "timeZone", "faxDestination"}, url.Values{}, to, from)
	k.single = store.SettingsKey
	return k
}

// siteLangs are the languages a site may default to, each in itself.
func siteLangs() []option {
	out := make([]option, 0, len(i18n.Langs))
	for _, l := range i18n.Langs {
		out = append(out, option{Value: string(l), Label: i18n.T(l, "web.lang.self")})
	}
	return out
}
