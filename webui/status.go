package webui

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"callbox/acd/sip/trunk"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Status is what the appliance reports about itself: the /status page, the
// /api/v1/status JSON and /healthz are all drawn from one value of it.
type Status struct {
	Version   string         `json:"version"`
	StartedAt time.Time      `json:"started_at"`
	Uptime    time.Duration  `json:"-"` // as uptime_seconds in JSON
	Store     StoreStatus    `json:"store"`
	Hardware  []Hardware     `json:"hardware"`
	Services  []ServiceState `json:"services"`
	// Telephony is the switch's live state; nil on a box built without it.
	Telephony *Telephony `json:"telephony,omitempty"`
}

// Telephony is the SIP switch as the status page shows it.
type Telephony struct {
	Listeners []string      `json:"listeners"` // "udp 127.0.0.1:5060"
	Phones    []PhoneStatus `json:"phones"`    // registered devices
	Lines     []LineStatus  `json:"lines"`
	Calls     []CallStatus  `json:"calls"` // active calls, oldest first
	// Trunks is each SIP trunk's registration and health (trunk.Set.Status).
	Trunks []trunk.Status `json:"trunks,omitempty"`
}

// PhoneStatus is one registered device of an extension.
type PhoneStatus struct {
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	UserAgent string    `json:"user_agent,omitempty"`
	Expires   time.Time `json:"expires"`
	Reachable bool      `json:"reachable"`
}

// LineStatus is one PSTN line.
type LineStatus struct {
	ID        string `json:"id"`                // the store's line ID, or the channel's when unconfigured
	Device    string `json:"device"`            // "sim:1", a DAHDI channel
	Address   string `json:"address,omitempty"` // a simulated line's SIP address
	Simulated bool   `json:"simulated"`
	Enabled   bool   `json:"enabled"`
	State     string `json:"state"` // "idle", "in-call", "disabled"
}

// CallStatus is one active call.
type CallStatus struct {
	ID        string    `json:"id"`
	Caller    string    `json:"caller"` // "Name <number>"
	From      string    `json:"from"`   // "line:line1", "ext:201"
	Dialed    string    `json:"dialed"`
	Direction string    `json:"direction"`
	Start     time.Time `json:"start"`
	Answered  bool      `json:"answered"`
	Route     string    `json:"route,omitempty"`
}

// StoreStatus describes the data store file.
type StoreStatus struct {
	Path          string         `json:"path"`
	SizeBytes     int64          `json:"size_bytes"`
	SchemaVersion int            `json:"schema_version"`
	Counts        map[string]int `json:"counts"` // records per kind
}

// Hardware is one device the appliance probed for.
type Hardware struct {
	Kind      string `json:"kind"` // "gpio", "linecard", "modem"
	Name      string `json:"name"`
	Simulated bool   `json:"simulated"` // true when the simulator stands in for missing hardware
	Detail    string `json:"detail"`
}

// The states a supervised service can be in.
const (
	StateStarting   = "starting"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateFailed     = "failed"
	StateStopped    = "stopped"
)

// ServiceState is the supervisor's view of one service.
type ServiceState struct {
	Name      string    `json:"name"`
	State     string    `json:"state"`
	Restarts  int       `json:"restarts"`
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"`
}

// Healthy reports whether every service is running; failing names the ones
// that are not, in the order they were listed.
func (s Status) Healthy() (ok bool, failing []string) {
	for _, svc := range s.Services {
		if svc.State != StateRunning {
			failing = append(failing, svc.Name)
		}
	}
	return len(failing) == 0, failing
}

// MarshalJSON writes the uptime in seconds, which is what scripts and
// monitoring systems expect, instead of Go's nanosecond Duration.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status // drops this method, so no recursion
	return json.Marshal(struct {
		plain
		UptimeSeconds float64 `json:"uptime_seconds"`
	}{plain(s), s.Uptime.Seconds()})
}

// StoreStatusOf reads the size, schema version and record counts of st.
func StoreStatusOf(st *store.Store) (StoreStatus, error) {
	out := StoreStatus{Path: st.Path(), SizeBytes: st.Size(), SchemaVersion: st.SchemaVersion(), Counts: map[string]int{}}
	counts, err := st.Counts()
	if err != nil {
		return out, err
	}
	for k, n := range counts {
		out.Counts[string(k)] = n
	}
	return out, nil
}

// defaultStatus is used when the firmware gives no Status function: the
// server reports what it knows itself (version, uptime, store).
func (s *Server) defaultStatus() Status {
	now := s.now()
	st := Status{Version: s.cfg.Version, StartedAt: s.startedAt, Uptime: now.Sub(s.startedAt)}
	ss, err := StoreStatusOf(s.store)
	if err != nil {
		s.log.Warn("store counts", "err", err)
	}
	st.Store = ss
	return st
}

// healthBody is the JSON of /healthz.
type healthBody struct {
	Status   string         `json:"status"` // "ok" or "failing"
	Failing  []string       `json:"failing,omitempty"`
	Services []ServiceState `json:"services"`
}

// healthz answers load balancers, the standby box and monitoring: no login,
// no setup redirect, only service states.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *reqCtx) {
	st := s.status()
	ok, failing := st.Healthy()
	body := healthBody{Status: "ok", Failing: failing, Services: st.Services}
	if body.Services == nil {
		body.Services = []ServiceState{}
	}
	code := http.StatusOK
	if !ok {
		body.Status = "failing"
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, body)
}

// apiStatus serves the status as JSON for machines.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request, _ *reqCtx) {
	st := s.status()
	if st.Hardware == nil {
		st.Hardware = []Hardware{}
	}
	if st.Services == nil {
		st.Services = []ServiceState{}
	}
	writeJSON(w, http.StatusOK, st)
}

// countRow is one line of the record counts table.
type countRow struct {
	Kind  string
	Label string
	N     int
}

// statusView is the status as the page shows it.
type statusView struct {
	Status
	Healthy bool
	Failing []string
	Counts  []countRow
	Uptime  string
	SizeKiB string
	Loc     *time.Location // the site's time zone, for the times shown
	// Retention is the disk use of recordings and the last purge
	// (admin_retention.go); nil without a purge service.
	Retention *retentionStatus
}

// statusPage serves the status as HTML for people.
func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	st := s.status()
	ok, failing := st.Healthy()
	v := statusView{Status: st, Healthy: ok, Failing: failing, Uptime: formatDuration(rc.lang, st.Uptime),
		SizeKiB: strconv.FormatFloat(float64(st.Store.SizeBytes)/1024, 'f', 1, 64), Loc: time.UTC}
	if site, err := store.GetSettings(s.store); err == nil {
		v.Loc = site.Location()
	}
	v.Counts = countRows(rc.lang, st.Store.Counts)
	v.Retention = s.retentionStatus(rc.lang, v.Loc)
	s.render(w, r, rc, http.StatusOK, "status", "web.status.title", v)
}

// countRows lists the record counts in the store's kind order (settings,
// users, extensions, ...), then any kind this build does not know, by name.
func countRows(lang i18n.Lang, counts map[string]int) []countRow {
	var rows, extra []countRow
	known := map[string]bool{}
	for _, k := range store.Kinds() {
		known[string(k)] = true
		if n, ok := counts[string(k)]; ok {
			rows = append(rows, countRow{Kind: string(k), Label: kindLabel(lang, string(k)), N: n})
		}
	}
	for k, n := range counts {
		if !known[k] {
			extra = append(extra, countRow{Kind: k, Label: kindLabel(lang, k), N: n})
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Kind < extra[j].Kind })
	return append(rows, extra...)
}

// kindLabel names a record kind in lang, falling back to the kind itself
// for kinds added after this catalogue was written.
func kindLabel(lang i18n.Lang, kind string) string {
	key := "web.kind." + kind
	if i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return kind
}

// formatDuration writes d as days, hours, minutes and seconds in lang.
func formatDuration(lang i18n.Lang, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int(d / time.Hour)
	d -= time.Duration(h) * time.Hour
	m := int(d / time.Minute)
	sec := int((d - time.Duration(m)*time.Minute) / time.Second)
	if days > 0 {
		return i18n.T(lang, "web.duration.dhms", days, h, m, sec)
	}
	return i18n.T(lang, "web.duration.hms", h, m, sec)
}
