package webui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"callbox/acd/sip/trunk"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// adminKinds are the records the generic admin pages manage, by URL slug.
var adminKinds = map[string]*adminKind{}

func init() {
	for _, k := range []*adminKind{extensionKind(), trunkKind(), lineKind(), skillKind(), agentKind(), queueKind(), hoursKind(), userKind(),
		inboundRouteKind(), outboundRouteKind(), siteKind(),
		wrapUpKind(), autoReplyKind(),
		retentionKind()} {
		adminKinds[k.slug] = k
	}
}

// Helpers that move values between records and forms. Numbers that do not
// parse are reported next to their field; lists are one item per line.

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func check(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func atoi(form url.Values, field string, errs map[string]string, lang i18n.Lang) int {
	v := strings.TrimSpace(form.Get(field))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs[field] = i18n.T(lang, "admin.err.number")
	}
	return n
}

// lines splits a textarea into its non-empty trimmed lines.
func lines(v string) []string {
	var out []string
	for l := range strings.SplitSeq(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// lineErr records a line of a list field that does not parse, with the
// format expected.
func lineErr(errs map[string]string, field string, i int, lang i18n.Lang) {
	if _, ok := errs[field]; !ok {
		errs[field] = i18n.T(lang, "admin.err.line", i+1, i18n.T(lang, "admin.err.format", i18n.T(lang, "admin.fmt."+field)))
	}
}

func langOptions(lang i18n.Lang) []option {
	out := []option{{Value: "", Label: i18n.T(lang, "admin.lang.default")}}
	for _, l := range i18n.Langs {
		out = append(out, option{Value: string(l), Label: i18n.T(l, "web.lang.self")})
	}
	return out
}

func optionsOf[T ~string](lang i18n.Lang, prefix string, vals ...T) []option {
	out := make([]option, 0, len(vals))
	for _, v := range vals {
		out = append(out, option{Value: string(v), Label: i18n.T(lang, prefix+string(v))})
	}
	return out
}

// recordOptions lists the keys of T as choices, with an empty choice first.
func recordOptions[T store.Record](s *Server, lang i18n.Lang, label func(T) string) []option {
	out := []option{{Value: "", Label: i18n.T(lang, "admin.none")}}
	all, err := store.List[T](s.store)
	if err != nil {
		s.log.Warn("admin options", "err", err)
		return out
	}
	for _, r := range all {
		out = append(out, option{Value: r.Key(), Label: label(r)})
	}
	return out
}

func withName(key, name string) string {
	if name == "" || name == key {
		return key
	}
	return key + " · " + name
}

func extensionKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "number", Type: "text", Key: true, Hint: "admin.h.number"},
			{Name: "name", Type: "text"},
			{Name: "secret", Type: "text", Secret: true, Hint: "admin.h.secret"},
			{Name: "forwardAlways", Type: "text"},
			{Name: "forwardBusy", Type: "text"},
			{Name: "forwardNoAnswer", Type: "text"},
			{Name: "pickupGroup", Type: "text"},
			{Name: "lang", Type: "select", Options: langOptions(lang)},
			{Name: "voicemail", Type: "check"},
			{Name: "voicemailPin", Type: "password", Secret: true, Hint: "admin.h.pin"},
			{Name: "dnd", Type: "check"},
			{Name: "allowedNets", Type: "lines", Hint: "admin.h.allowedNets"},
		}
	}
	to := func(e store.Extension) url.Values {
		return url.Values{"number": {e.Number}, "name": {e.Name}, "secret": {e.Secret}, "allowedNets": {strings.Join(e.AllowedNets, "\n")},
			"voicemail": {check(e.Voicemail)}, "dnd": {check(e.DND)}, "forwardAlways": {e.ForwardAlways}, "forwardBusy": {e.ForwardBusy},
			"forwardNoAnswer": {e.ForwardNoAnswer}, "pickupGroup": {e.PickupGroup}, "lang": {string(e.Lang)},
			"voicemailPin": {e.VoicemailPIN}} // the hash: a secret field, never shown
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Extension {
		e := store.Extension{Number: f.Get("number"), Name: f.Get("name"), Secret: f.Get("secret"), AllowedNets: lines(f.Get("allowedNets")),
			Voicemail: f.Get("voicemail") == "on", DND: f.Get("dnd") == "on", ForwardAlways: f.Get("forwardAlways"), ForwardBusy: f.Get("forwardBusy"),
			ForwardNoAnswer: f.Get("forwardNoAnswer"), PickupGroup: f.Get("pickupGroup"), Lang: i18n.Lang(f.Get("lang"))}
		switch {
		case e.Secret == "" && old != nil:
			e.Secret = old.Get("secret")
		case e.Secret == "":
			// A new extension without a secret gets a strong generated one.
			sec, err := store.GenerateSecret(16)
			if err != nil {
				errs["secret"] = i18n.T(lang, "web.error.internal")
			}
			e.Secret = sec
		}
		// The PIN is typed, the store keeps its hash; left blank on an
		// edit, the old hash stays.
		switch pin := f.Get("voicemailPin"); {
		case pin == "" && old != nil:
			e.VoicemailPIN = old.Get("voicemailPin")
		case pin != "":
			var ve *store.ValidationError
			if err := e.SetVoicemailPIN(pin); errors.As(err, &ve) {
				errs["voicemailPin"] = ve.Messages(lang)["voicemailPin"]
			} else if err != nil {
				errs["voicemailPin"] = i18n.T(lang, "web.error.internal")
			}
		}
		return e
	}
	return newKind("extensions", fields, []string{"number", "name", "voicemail", "allowedNets", "forwardAlways"}, url.Values{"voicemail": {"on"}}, to, from)
}

func trunkKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "host", Type: "text"},
			{Name: "port", Type: "number", Hint: "admin.h.port"},
			{Name: "transport", Type: "select", Options: optionsOf(lang, "admin.transport.", store.TransportUDP, store.TransportTCP, store.TransportTLS)},
			{Name: "username", Type: "text"},
			{Name: "secret", Type: "password", Secret: true, Hint: "admin.h.keep"},
			{Name: "expires", Type: "number"},
			{Name: "callerId", Type: "text", Hint: "admin.h.callerId"},
			{Name: "callerIdMode", Type: "select", Options: append([]option{{Value: "", Label: i18n.T(lang, "admin.default")}},
				optionsOf(lang, "admin.cidmode.", store.CallerIDFixed, store.CallerIDPassthrough)...)},
			{Name: "numberFormat", Type: "select", Hint: "dialing.h.numberFormat", Options: append([]option{{Value: "", Label: i18n.T(lang, "dialing.numfmt.as_dialed")}},
				optionsOf(lang, "dialing.numfmt.", store.TrunkNumberNational, store.TrunkNumberE164)...)},
			{Name: "fromDomain", Type: "text"},
			{Name: "prefix", Type: "text"},
			{Name: "maxChannels", Type: "number"},
			{Name: "optionsInterval", Type: "number", Hint: "admin.h.optionsInterval"},
			{Name: "enabled", Type: "check"},
			{Name: "register", Type: "check"},
			{Name: "assertIdentity", Type: "check"},
			{Name: "privacy", Type: "check"},
			{Name: "codecs", Type: "lines", Hint: "admin.h.codecs"},
			{Name: "addresses", Type: "lines", Hint: "admin.h.addresses"},
			{Name: "dids", Type: "lines", Hint: "admin.fmt.dids"},
		}
	}
	to := func(t store.Trunk) url.Values {
		dids := make([]string, len(t.DIDs))
		for i, d := range t.DIDs {
			dids[i] = strings.TrimSpace(d.Number + " " + d.Map)
		}
		return url.Values{"name": {t.Name}, "enabled": {check(t.Enabled)}, "host": {t.Host}, "port": {itoa(t.Port)}, "transport": {string(t.Transport)},
			"register": {check(t.Register)}, "username": {t.Username}, "secret": {t.Secret}, "expires": {itoa(t.Expires)}, "callerId": {t.CallerID},
			"callerIdMode": {t.CallerIDMode}, "numberFormat": {t.NumberFormat}, "assertIdentity": {check(t.AssertIdentity)}, "privacy": {check(t.Privacy)}, "fromDomain": {t.FromDomain},
			"prefix": {t.Prefix}, "codecs": {strings.Join(t.Codecs, "\n")}, "maxChannels": {itoa(t.MaxChannels)},
			"optionsInterval": {itoa(t.OptionsInterval)}, "addresses": {strings.Join(t.Addresses, "\n")}, "dids": {strings.Join(dids, "\n")}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Trunk {
		t := store.Trunk{Name: f.Get("name"), Enabled: f.Get("enabled") == "on", Host: f.Get("host"), Port: atoi(f, "port", errs, lang),
			Transport: store.Transport(f.Get("transport")), Register: f.Get("register") == "on", Username: f.Get("username"), Secret: f.Get("secret"),
			Expires: atoi(f, "expires", errs, lang), CallerID: f.Get("callerId"), CallerIDMode: f.Get("callerIdMode"), NumberFormat: f.Get("numberFormat"),
			AssertIdentity: f.Get("assertIdentity") == "on", Privacy: f.Get("privacy") == "on", FromDomain: f.Get("fromDomain"), Prefix: f.Get("prefix"),
			Codecs: lines(f.Get("codecs")), MaxChannels: atoi(f, "maxChannels", errs, lang), OptionsInterval: atoi(f, "optionsInterval", errs, lang),
			Addresses: lines(f.Get("addresses"))}
		if t.Secret == "" && old != nil {
			t.Secret = old.Get("secret")
		}
		for i, l := range lines(f.Get("dids")) {
			p := strings.Fields(l)
			if len(p) > 2 {
				lineErr(errs, "dids", i, lang)
				continue
			}
			d := store.TrunkDID{Number: p[0]}
			if len(p) == 2 {
				d.Map = p[1]
			}
			t.DIDs = append(t.DIDs, d)
		}
		return t
	}
	k := newKind("trunks", fields, []string{"name", "host", "transport", "register", "enabled"},
		url.Values{"enabled": {"on"}, "transport": {"udp"}, "codecs": {"PCMA\nPCMU\ntelephone-event"}}, to, from)
	k.live = trunkStates
	return k
}

// trunkStates is each trunk's registration and health from the status.
func trunkStates(st Status) map[string]liveState {
	out := map[string]liveState{}
	if st.Telephony == nil {
		return out
	}
	for _, t := range st.Telephony.Trunks {
		out[t.Name] = trunkState(t)
	}
	return out
}

func trunkState(t trunk.Status) liveState {
	switch {
	case !t.Enabled:
		return liveState{Label: "admin.live.disabled"}
	case t.Register && t.Registered:
		return liveState{Label: "admin.live.registered", Class: "ok", Title: t.RegisteredUntil.UTC().Format(time.RFC3339)}
	case t.Register:
		return liveState{Label: "admin.live.not_registered", Class: "bad", Title: t.RegisterError}
	case t.Health == trunk.HealthDown:
		return liveState{Label: "admin.live.down", Class: "bad", Title: t.LastError}
	case t.Health == trunk.HealthUp:
		return liveState{Label: "admin.live.up", Class: "ok"}
	}
	return liveState{Label: "admin.live.no_register"}
}

func lineKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "id", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "name", Type: "text"},
			{Name: "type", Type: "select", Options: optionsOf(lang, "admin.linetype.", store.LineFXO, store.LineFXS, store.LineGSM)},
			{Name: "device", Type: "text", Hint: "admin.h.device"},
			{Name: "number", Type: "text"},
			{Name: "route", Type: "text", Hint: "admin.h.route"},
			{Name: "enabled", Type: "check"},
		}
	}
	to := func(l store.Line) url.Values {
		return url.Values{"id": {l.ID}, "name": {l.Name}, "type": {string(l.Type)}, "device": {l.Device}, "number": {l.Number},
			"route": {l.Route}, "enabled": {check(l.Enabled)}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Line {
		return store.Line{ID: f.Get("id"), Name: f.Get("name"), Type: store.LineType(f.Get("type")), Device: f.Get("device"),
			Number: f.Get("number"), Route: f.Get("route"), Enabled: f.Get("enabled") == "on"}
	}
	k := newKind("lines", fields, []string{"id", "name", "type", "device", "number", "route"}, url.Values{"enabled": {"on"}, "type": {"fxo"}}, to, from)
	k.live = func(st Status) map[string]liveState {
		out := map[string]liveState{}
		if st.Telephony == nil {
			return out
		}
		for _, l := range st.Telephony.Lines {
			ls := liveState{Label: "admin.live.line." + l.State, Raw: l.State, Title: l.Device}
			switch l.State {
			case "idle":
				ls.Class = "ok"
			case "in-call":
				ls.Class = "busy"
			}
			out[l.ID] = ls
		}
		return out
	}
	return k
}

func skillKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"}, {Name: "description", Type: "text"}}
	}
	to := func(k store.Skill) url.Values { return url.Values{"name": {k.Name}, "description": {k.Description}} }
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Skill {
		return store.Skill{Name: f.Get("name"), Description: f.Get("description")}
	}
	return newKind("skills", fields, []string{"name", "description"}, url.Values{}, to, from)
}

func agentKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "id", Type: "text", Key: true, Hint: "admin.h.agentId"},
			{Name: "name", Type: "text"},
			{Name: "user", Type: "select", Options: recordOptions(s, lang, func(u store.User) string { return u.Name })},
			{Name: "extension", Type: "select", Options: recordOptions(s, lang, func(e store.Extension) string { return withName(e.Number, e.Name) })},
			{Name: "skills", Type: "lines", Hint: "admin.fmt.skills"},
			{Name: "wrapUpSeconds", Type: "number"},
			{Name: "enabled", Type: "check"},
		}
	}
	to := func(a store.Agent) url.Values {
		sk := make([]string, len(a.Skills))
		for i, l := range a.Skills {
			sk[i] = l.Skill + " " + strconv.Itoa(l.Level)
		}
		return url.Values{"id": {a.ID}, "name": {a.Name}, "user": {a.User}, "extension": {a.Extension}, "skills": {strings.Join(sk, "\n")},
			"wrapUpSeconds": {itoa(a.WrapUpSeconds)}, "enabled": {check(a.Enabled)}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.Agent {
		a := store.Agent{ID: f.Get("id"), Name: f.Get("name"), User: f.Get("user"), Extension: f.Get("extension"),
			WrapUpSeconds: atoi(f, "wrapUpSeconds", errs, lang), Enabled: f.Get("enabled") == "on"}
		for i, l := range lines(f.Get("skills")) {
			p := strings.Fields(l)
			n, err := strconv.Atoi(p[len(p)-1])
			if len(p) != 2 || err != nil {
				lineErr(errs, "skills", i, lang)
				continue
			}
			a.Skills = append(a.Skills, store.SkillLevel{Skill: p[0], Level: n})
		}
		return a
	}
	return newKind("agents", fields, []string{"id", "name", "extension", "user", "skills", "enabled"}, url.Values{"enabled": {"on"}}, to, from)
}

func userKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "role", Type: "select", Options: optionsOf(lang, "web.role.", store.RoleAdmin, store.RoleSupervisor, store.RoleAgent)},
			{Name: "lang", Type: "select", Options: langOptions(lang)},
			{Name: "password", Type: "password", Secret: true, Hint: "admin.h.password"},
			{Name: "oneTimePassword", Type: "check", Hint: "admin.h.oneTimePassword"},
			{Name: "disabled", Type: "check"},
		}
	}
	to := func(u store.User) url.Values {
		return url.Values{"name": {u.Name}, "role": {string(u.Role)}, "lang": {string(u.Lang)}, "password": {u.PasswordHash},
			"oneTimePassword": {check(u.OneTimePassword)}, "disabled": {check(u.Disabled)}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.User {
		u := store.User{Name: f.Get("name"), Role: store.Role(f.Get("role")), Lang: i18n.Lang(f.Get("lang")),
			OneTimePassword: f.Get("oneTimePassword") == "on", Disabled: f.Get("disabled") == "on", CreatedAt: s.now()}
		if old != nil {
			if cur, err := store.Get[store.User](s.store, u.Name); err == nil {
				u.CreatedAt = cur.CreatedAt
			}
		}
		pw := f.Get("password")
		switch {
		case pw == "" && old != nil:
			u.PasswordHash = old.Get("password")
		case pw == "":
			errs["password"] = i18n.T(lang, "store.err.required")
		default:
			if err := u.SetPassword(pw); err != nil && !fieldMessages(errs, err, lang) {
				errs["password"] = i18n.T(lang, "web.error.internal")
			}
		}
		return u
	}
	k := newKind("users", fields, []string{"name", "role", "lang", "oneTimePassword", "disabled"}, url.Values{"role": {"agent"}, "oneTimePassword": {"on"}}, to, from)
	return k
}
