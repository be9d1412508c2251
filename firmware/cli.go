package firmware

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"callbox/firmware/console"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Exit codes of Main.
const (
	ExitOK    = 0
	ExitError = 1 // the command ran and failed
	ExitUsage = 2 // the command line is wrong
)

// cli is one invocation of the command line.
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	version        string
	lang           i18n.Lang
}

// Main runs the callbox command line (args without the program name) and
// returns the process exit code. ctx ends on SIGTERM/SIGINT.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, version string) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, version: version,
		lang: i18n.ParseLang(firstNonEmpty(os.Getenv("LC_ALL"), os.Getenv("LANG")))}
	if len(args) == 0 {
		c.usage(stderr)
		return ExitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return c.run(rest)
	case "version":
		if len(rest) > 0 {
			return c.fail(ExitUsage, i18n.T(c.lang, "cli.err.args", cmd, strings.Join(rest, " ")))
		}
		fmt.Fprintln(stdout, "callbox", version)
		return ExitOK
	case "backup":
		return c.backup(rest)
	case "restore":
		return c.restore(rest)
	case "check":
		return c.check(rest)
	case "console":
		return c.console(rest)
	case "help", "-h", "-help", "--help":
		c.usage(stdout)
		return ExitOK
	default:
		c.fail(ExitUsage, i18n.T(c.lang, "cli.err.command", cmd))
		c.usage(stderr)
		return ExitUsage
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *cli) usage(w io.Writer) { fmt.Fprint(w, i18n.T(c.lang, "cli.usage")) }

func (c *cli) fail(code int, msg string) int {
	fmt.Fprintln(c.stderr, "callbox: "+msg)
	return code
}

// parse parses a subcommand's flags; code is -1 when the command should go
// on, else the exit code.
func (c *cli) parse(fs *flag.FlagSet, args []string) int {
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, i18n.T(c.lang, "cli.flags", fs.Name()))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage // flag has printed the error and the usage
	}
	if fs.NArg() > 0 {
		return c.fail(ExitUsage, i18n.T(c.lang, "cli.err.args", fs.Name(), strings.Join(fs.Args(), " ")))
	}
	return -1
}

func (c *cli) run(args []string) int {
	cfg := Config{Version: c.version, Stdout: c.stdout, Stderr: c.stderr}
	var level string
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", DefaultDataDir, i18n.T(c.lang, "cli.flag.data"))
	fs.StringVar(&cfg.HTTPAddr, "http", DefaultHTTPAddr, i18n.T(c.lang, "cli.flag.http"))
	fs.StringVar(&cfg.SIPAddr, "sip", DefaultSIPAddr, i18n.T(c.lang, "cli.flag.sip"))
	fs.StringVar(&cfg.RTPPorts, "rtp-ports", DefaultRTPPorts, i18n.T(c.lang, "cli.flag.rtp_ports"))
	fs.Float64Var(&cfg.SIPRate, "sip-rate", 0, i18n.T(c.lang, "cli.flag.sip_rate"))
	fs.DurationVar(&cfg.SIPMaxExpiry, "sip-max-expiry", 0, i18n.T(c.lang, "cli.flag.sip_max_expiry"))
	fs.IntVar(&cfg.SimBasePort, "sim-base-port", DefaultSimBasePort, i18n.T(c.lang, "cli.flag.sim_base_port"))
	fs.StringVar(&cfg.SimPeer, "sim-peer", "", i18n.T(c.lang, "cli.flag.sim_peer"))
	fs.BoolVar(&cfg.Demo, "demo", false, i18n.T(c.lang, "cli.flag.demo"))
	fs.StringVar(&level, "log-level", "info", i18n.T(c.lang, "cli.flag.log_level"))
	fs.StringVar(&cfg.ConsoleTTY, "console-tty", "", i18n.T(c.lang, "cli.flag.console_tty"))
	fs.StringVar(&cfg.DebugAddr, "debug", "", i18n.T(c.lang, "cli.flag.debug"))
	fs.IntVar(&cfg.GCPercent, "gc-percent", DefaultGCPercent, i18n.T(c.lang, "cli.flag.gc_percent"))
	if code := c.parse(fs, args); code >= 0 {
		return code
	}
	var err error
	if cfg.LogLevel, err = ParseLevel(level); err != nil {
		return c.fail(ExitUsage, err.Error())
	}
	if err := cfg.Validate(); err != nil {
		return c.fail(ExitUsage, err.Error())
	}
	cfg.SIPFromSetup = true
	fs.Visit(func(f *flag.Flag) { cfg.SIPFromSetup = cfg.SIPFromSetup && f.Name != "sip" })
	if err := Run(c.ctx, cfg); err != nil {
		return c.fail(ExitError, Explain(c.lang, err))
	}
	return ExitOK
}

// dataAndFile parses the flags of a command on the data directory and
// one file (backup --out, restore --in): --data, and the file flag (its
// help text is helpKey), which is required. code >= 0 means the command
// ends with it.
func (c *cli) dataAndFile(command, fileFlag, helpKey string, args []string) (data, file string, code int) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.StringVar(&data, "data", DefaultDataDir, i18n.T(c.lang, "cli.flag.data"))
	fs.StringVar(&file, fileFlag, "", i18n.T(c.lang, helpKey))
	if code := c.parse(fs, args); code >= 0 {
		return "", "", code
	}
	if file == "" {
		return "", "", c.fail(ExitUsage, i18n.T(c.lang, "cli.err.required", "--"+fileFlag))
	}
	return data, file, -1
}

func (c *cli) backup(args []string) int {
	data, out, code := c.dataAndFile("backup", "out", "cli.flag.out", args)
	if code >= 0 {
		return code
	}
	n, live, err := Backup(data, out)
	if err != nil {
		return c.fail(ExitError, Explain(c.lang, err))
	}
	key := "cli.backup.offline"
	if live {
		key = "cli.backup.live"
	}
	fmt.Fprintln(c.stdout, i18n.T(c.lang, key, n, out))
	return ExitOK
}

func (c *cli) restore(args []string) int {
	data, in, code := c.dataAndFile("restore", "in", "cli.flag.in", args)
	if code >= 0 {
		return code
	}
	if err := Restore(data, in); err != nil {
		if errors.Is(err, ErrRunning) {
			return c.fail(ExitError, i18n.T(c.lang, "cli.err.running"))
		}
		return c.fail(ExitError, Explain(c.lang, err))
	}
	fmt.Fprintln(c.stdout, i18n.T(c.lang, "cli.restore.done", in, StorePath(data)))
	return ExitOK
}

func (c *cli) check(args []string) int {
	var data string
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.StringVar(&data, "data", DefaultDataDir, i18n.T(c.lang, "cli.flag.data"))
	if code := c.parse(fs, args); code >= 0 {
		return code
	}
	path := StorePath(data)
	problems, err := store.Check(path)
	if err != nil {
		return c.fail(ExitError, Explain(c.lang, err))
	}
	for _, p := range problems {
		where := strings.TrimSpace(string(p.Kind) + " " + p.Key)
		if where != "" {
			where += ": "
		}
		fmt.Fprintln(c.stdout, where+p.Msg)
	}
	if len(problems) > 0 {
		return c.fail(ExitError, i18n.T(c.lang, "cli.check.problems", path, len(problems)))
	}
	fmt.Fprintln(c.stdout, i18n.T(c.lang, "cli.check.ok", path))
	return ExitOK
}

func (c *cli) console(args []string) int {
	var data string
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.StringVar(&data, "data", DefaultDataDir, i18n.T(c.lang, "cli.flag.data"))
	if code := c.parse(fs, args); code >= 0 {
		return code
	}
	conn, err := console.Dial(ConsoleSocket(data))
	if err == nil {
		if err := console.Attach(conn, c.stdin, c.stdout); err != nil {
			return c.fail(ExitError, err.Error())
		}
		return ExitOK
	}
	if !errors.Is(err, console.ErrNotRunning) {
		return c.fail(ExitError, err.Error())
	}
	// The box is down: work on the store directly.
	path := StorePath(data)
	if _, err := os.Stat(path); err != nil {
		return c.fail(ExitError, i18n.T(c.lang, "cli.err.no_store", path))
	}
	s, err := store.Open(path)
	if err != nil {
		return c.fail(ExitError, Explain(c.lang, err))
	}
	defer s.Close()
	settings, err := store.GetSettings(s)
	if err != nil {
		return c.fail(ExitError, Explain(c.lang, err))
	}
	lang := settings.Lang
	if c.lang == i18n.ZH {
		lang = i18n.ZH
	}
	sh := console.NewShell(&backend{version: c.version, store: s, now: time.Now}, c.version, lang)
	fmt.Fprintln(c.stdout, i18n.T(lang, "cli.console.offline", path))
	if err := sh.Serve(c.ctx, c.stdin, c.stdout); err != nil && !errors.Is(err, io.EOF) {
		return c.fail(ExitError, err.Error())
	}
	return ExitOK
}
