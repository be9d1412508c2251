package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/webui"
)

// BackupCommand asks a socket session for a raw backup: the server answers
// "OK\n" and the snapshot bytes, then closes; or "ERR message\n".
const BackupCommand = "@backup"

// maxLine bounds a command line; a terminal cannot send anything longer
// that means something.
const maxLine = 1024

// Backend is what the shell reports and changes.
type Backend interface {
	// Status is the appliance's status (services are empty when the box
	// is not running).
	Status(ctx context.Context) (webui.Status, error)
	// ResetAdminPassword gives the admin user a new random one-time
	// password and returns the user name and the password.
	ResetAdminPassword(ctx context.Context) (user, password string, err error)
	// Backup writes a consistent snapshot of the store to w.
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// Shell runs technician sessions.
type Shell struct {
	backend Backend
	version string
	lang    i18n.Lang
	// AllowBackup lets a session use BackupCommand; only the local socket
	// does, never the serial line.
	AllowBackup bool
}

// NewShell returns a shell speaking lang.
func NewShell(b Backend, version string, lang i18n.Lang) *Shell {
	if !lang.Valid() {
		lang = i18n.EN
	}
	return &Shell{backend: b, version: version, lang: lang}
}

// errQuit ends a session normally.
var errQuit = errors.New("quit")

// session is one conversation; its language can change mid-way.
type session struct {
	sh   *Shell
	lang i18n.Lang
	w    io.Writer
	in   *bufio.Scanner
}

// Serve runs one session until the technician quits or ctx is done (the
// caller closes r to interrupt a blocked read), and then returns nil. When
// the input ends it returns io.EOF; read and write errors are returned.
func (sh *Shell) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 256), maxLine)
	s := &session{sh: sh, lang: sh.lang, w: w, in: in}
	if err := s.say("console.banner", sh.version); err != nil {
		return err
	}
	for ctx.Err() == nil {
		if _, err := io.WriteString(w, "callbox> "); err != nil {
			return err
		}
		if !in.Scan() {
			err := in.Err()
			switch {
			case ctx.Err() != nil:
				return nil
			case err == nil:
				return io.EOF
			case errors.Is(err, bufio.ErrTooLong):
				s.say("console.too_long", maxLine)
			}
			return err
		}
		err := s.run(ctx, strings.TrimSpace(in.Text()))
		if errors.Is(err, errQuit) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *session) say(key string, args ...any) error {
	_, err := fmt.Fprintln(s.w, i18n.T(s.lang, key, args...))
	return err
}

// commands lists what `help` shows, in that order.
var commands = []struct{ name, help string }{
	{"status", "console.help.status"},
	{"version", "console.help.version"},
	{"reset-admin-password", "console.help.reset"},
	{"lang", "console.help.lang"},
	{"help", "console.help.help"},
	{"quit", "console.help.quit"},
}

func (s *session) run(ctx context.Context, line string) error {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil
	}
	switch cmd, args := strings.ToLower(fields[0]), fields[1:]; cmd {
	case "help", "?":
		for _, c := range commands {
			if _, err := fmt.Fprintf(s.w, "  %-22s %s\n", c.name, i18n.T(s.lang, c.help)); err != nil {
				return err
			}
		}
		return nil
	case "version":
		return s.say("console.version", s.sh.version)
	case "status":
		return s.status(ctx)
	case "reset-admin-password":
		return s.reset(ctx)
	case "lang":
		if len(args) != 1 || (args[0] != "zh" && args[0] != "en") {
			return s.say("console.lang.usage")
		}
		s.lang = i18n.Lang(args[0])
		return s.say("console.lang.set")
	case "quit", "exit":
		s.say("console.bye")
		return errQuit
	case BackupCommand:
		if !s.sh.AllowBackup {
			return s.say("console.unknown", cmd)
		}
		return s.backup(ctx)
	default:
		return s.say("console.unknown", cmd)
	}
}

func (s *session) reset(ctx context.Context) error {
	if err := s.say("console.reset.confirm"); err != nil {
		return err
	}
	if _, err := io.WriteString(s.w, "> "); err != nil {
		return err
	}
	if !s.in.Scan() || strings.ToLower(strings.TrimSpace(s.in.Text())) != "yes" {
		return s.say("console.reset.cancelled")
	}
	user, pw, err := s.sh.backend.ResetAdminPassword(ctx)
	if err != nil {
		return s.say("console.reset.failed", err)
	}
	return s.say("console.reset.done", user, pw)
}

func (s *session) backup(ctx context.Context) error {
	// Errors after "OK" cannot be reported in-band; the client validates
	// what it received, so a cut stream is refused there.
	if _, err := io.WriteString(s.w, "OK\n"); err != nil {
		return err
	}
	if _, err := s.sh.backend.Backup(ctx, s.w); err != nil {
		return err
	}
	return errQuit
}

func (s *session) status(ctx context.Context) error {
	st, err := s.sh.backend.Status(ctx)
	if err != nil {
		return s.say("console.status.failed", err)
	}
	_, err = io.WriteString(s.w, FormatStatus(s.lang, st))
	return err
}

// FormatStatus renders st as the console shows it.
func FormatStatus(lang i18n.Lang, st webui.Status) string {
	var b strings.Builder
	line := func(key string, args ...any) { b.WriteString(i18n.T(lang, key, args...) + "\n") }
	line("console.status.version", st.Version)
	if !st.StartedAt.IsZero() {
		line("console.status.uptime", st.Uptime.Round(time.Second).String(), st.StartedAt.UTC().Format(time.RFC3339))
	} else {
		line("console.status.not_running")
	}
	line("console.status.store", st.Store.Path, float64(st.Store.SizeBytes)/1024, st.Store.SchemaVersion)
	kinds := make([]string, 0, len(st.Store.Counts))
	for k := range st.Store.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var counts []string
	for _, k := range kinds {
		counts = append(counts, fmt.Sprintf("%s %d", k, st.Store.Counts[k]))
	}
	line("console.status.records", strings.Join(counts, ", "))
	for _, h := range st.Hardware {
		mode := i18n.T(lang, "console.status.hw_real")
		if h.Simulated {
			mode = i18n.T(lang, "console.status.hw_sim")
		}
		line("console.status.hardware", h.Kind, h.Name, mode, h.Detail)
	}
	if len(st.Services) > 0 {
		line("console.status.services")
	}
	for _, svc := range st.Services {
		fmt.Fprintf(&b, "  %-12s %-10s %s\n", svc.Name, stateName(lang, svc.State), i18n.T(lang, "console.status.restarts", svc.Restarts))
		if svc.LastError != "" {
			fmt.Fprintf(&b, "  %-12s %s\n", "", i18n.T(lang, "console.status.last_error", firstLine(svc.LastError)))
		}
	}
	return b.String()
}

// stateName names a service state in lang; a state added later than this
// catalogue shows as it is.
func stateName(lang i18n.Lang, state string) string {
	if key := "console.state." + state; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return state
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
