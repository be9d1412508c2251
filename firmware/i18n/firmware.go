package i18n

// firmwareMessages holds the firmware and command line (owned by firmware and cmd).
var firmwareMessages = map[string]entry{
	"cli.usage": {`callbox is the firmware of the callbox call-center appliance.

Usage:
  callbox run [--data DIR] [--http ADDR] [--sip ADDR] [--rtp-ports FIRST-LAST] [--sip-rate N] [--sim-base-port PORT] [--sim-peer ADDR] [--demo] [--log-level LEVEL] [--console-tty DEV]
  callbox version
  callbox backup  [--data DIR] --out FILE
  callbox restore [--data DIR] --in FILE
  callbox check   [--data DIR]
  callbox console [--data DIR]

Run "callbox COMMAND -h" for the flags of a command.
`, `callbox 是 callbox 呼叫中心一体机的固件。

用法：
  callbox run [--data 目录] [--http 地址] [--sip 地址] [--rtp-ports 起-止] [--sip-rate 数量] [--sim-base-port 端口] [--sim-peer 地址] [--demo] [--log-level 级别] [--console-tty 设备]
  callbox version
  callbox backup  [--data 目录] --out 文件
  callbox restore [--data 目录] --in 文件
  callbox check   [--data 目录]
  callbox console [--data 目录]

运行 "callbox 命令 -h" 查看该命令的参数。
`},
	"cli.flags":               {"Flags of callbox %s:", "callbox %s 的参数："},
	"cli.flag.data":           {"data directory (store, logs, recordings)", "数据目录（数据库、日志、录音）"},
	"cli.flag.http":           {"web UI listen address, host:port", "网页管理界面监听地址，主机:端口"},
	"cli.flag.sip":            {"SIP listen address, host:port", "SIP 监听地址，主机:端口"},
	"cli.flag.rtp_ports":      {"RTP media port range, first-last", "RTP 媒体端口范围，起-止"},
	"cli.flag.gc_percent":     {"how far the heap grows past live memory before Go collects, in percent (0: Go's default, 100; the GOGC environment variable wins)", "堆内存超出存活内存多少（百分比）时 Go 进行垃圾回收（0 表示 Go 的默认值 100；设置了 GOGC 环境变量时以其为准）"},
	"cli.flag.sip_max_expiry": {"longest SIP registration granted, e.g. 1h or 8h (0: the default, 1h)", "允许的最长 SIP 注册时长，例如 1h 或 8h（0 表示默认：1 小时）"},
	"cli.flag.sip_rate":       {"SIP requests per second allowed per source address, burst 5x (0: the default, 20/s and 200/s for registered phones)", "每个来源地址每秒允许的 SIP 请求数，突发为 5 倍（0 表示默认：20/秒，已注册话机 200/秒）"},
	"cli.flag.sim_base_port":  {"SIP port of simulated PSTN line 1 (line n on port+n-1; 0 picks free ports)", "模拟 PSTN 线路 1 的 SIP 端口（线路 n 使用 端口+n-1；0 表示任选空闲端口）"},
	"cli.flag.sim_peer":       {"where calls out on simulated lines are sent, ip:port (empty refuses them)", "模拟线路外呼的目标地址，IP:端口（为空则拒绝外呼）"},
	"cli.flag.demo":           {"seed a demo configuration into an empty store", "在空数据库中写入演示配置"},
	"cli.flag.log_level":      {"log level: debug, info, warn or error", "日志级别：debug、info、warn 或 error"},
	"cli.flag.debug":          {"loopback address for the profiler and runtime figures, e.g. 127.0.0.1:6060 (off when empty)", "性能分析和运行时数据的回环地址，例如 127.0.0.1:6060（为空则关闭）"},
	"cli.flag.console_tty":    {"serial device for the technician console, e.g. /dev/ttyS0", "技术员控制台使用的串口设备，例如 /dev/ttyS0"},
	"cli.flag.out":            {"file to write the backup to", "备份写入的文件"},
	"cli.flag.in":             {"backup file to restore", "要恢复的备份文件"},
	"cli.err.command":         {"unknown command %q", "未知命令 %q"},
	"cli.err.args":            {"%s: unexpected arguments: %s", "%s：多余的参数：%s"},
	"cli.err.required":        {"the flag %s is required", "必须提供参数 %s"},
	"cli.err.corrupt":         {"the store is damaged or is not a callbox store; it was left untouched. Run \"callbox check\" for details or \"callbox restore\" with a backup. (%v)", "数据库已损坏或不是 callbox 数据库，文件未被改动。请运行 \"callbox check\" 查看详情，或用 \"callbox restore\" 恢复备份。（%v）"},
	"cli.err.locked":          {"the store is in use by another process; is callbox already running? (%v)", "数据库正被其他进程使用，callbox 是否已在运行？（%v）"},
	"cli.err.newer":           {"the store was written by a newer firmware; it was left untouched. (%v)", "数据库由更新版本的固件写入，文件未被改动。（%v）"},
	"cli.err.bad_backup":      {"the backup was refused and the current data is untouched: %v", "备份文件被拒绝，当前数据未被改动：%v"},
	"cli.err.datadir":         {"cannot use the data directory: %v", "无法使用数据目录：%v"},
	"cli.err.other":           {"%v", "%v"},
	"cli.err.running":         {"callbox is running; stop it before restoring (the running box would overwrite the restored data)", "callbox 正在运行；请先停止再恢复（运行中的设备会覆盖恢复的数据）"},
	"cli.err.no_store":        {"there is no store at %s", "%s 处没有数据库"},
	"cli.backup.live":         {"Backup of the running box: %d bytes written to %s", "已从运行中的设备备份：%d 字节写入 %s"},
	"cli.backup.offline":      {"Backup: %d bytes written to %s", "备份完成：%d 字节写入 %s"},
	"cli.restore.done":        {"Restored %s into %s", "已将 %s 恢复到 %s"},
	"cli.check.ok":            {"%s: no problems found", "%s：未发现问题"},
	"cli.check.problems":      {"%s: %d problems found", "%s：发现 %d 个问题"},
	"cli.console.offline":     {"callbox is not running; working on %s directly.", "callbox 未运行，直接操作 %s。"},
	"firmware.demo.seeded":    {"Demo configuration created (%d records).", "已创建演示配置（%d 条记录）。"},
	"firmware.demo.extension": {"Demo extension %s (%s): SIP user %[1]s, password %[3]s", "演示分机 %s（%s）：SIP 用户 %[1]s，密码 %[3]s"},
	"firmware.admin.created": {
		"The one-time password of user %s is %s — shown only now; the setup page asks for it.",
		"用户 %s 的一次性密码是 %s——只显示这一次，设置页面会要求输入。",
	},
}
