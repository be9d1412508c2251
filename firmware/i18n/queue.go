package i18n

// queueMessages holds the ACD's texts: queue and agent errors shown in the
// web UI and the API (owned by acd/queue and acd/agent).
var queueMessages = map[string]entry{
	"queue.error.unknown-queue": {"there is no queue “%s”", "没有名为“%s”的队列"},
	"queue.error.unknown-agent": {"there is no agent “%s”", "没有名为“%s”的坐席"},
	"queue.error.no-acd":        {"the queue service is not running", "队列服务未运行"},
	"queue.error.not-on-call":   {"agent “%s” is not on a queue call", "坐席“%s”不在队列通话中"},
	"queue.error.recording-off": {"this queue does not allow recording on demand", "该队列不允许按需录音"},
	"queue.error.supervised":    {"this call already has a supervisor", "该通话已有班长在监控"},
	"queue.error.bad-mode":      {"mode must be listen, whisper or barge (a callback can only be listened to)", "模式必须是监听、耳语或强插（回拨通话只能监听）"},
	"queue.error.bad-time":      {"“%s” is not a time (use RFC 3339, e.g. 2026-11-27T09:00:00Z)", "“%s”不是有效时间（请用 RFC 3339 格式，如 2026-11-27T09:00:00Z）"},
	"queue.error.extension":     {"enter an existing extension for the supervisor's phone", "请填写班长话机的现有分机号"},
	// The recording policies (store.Queue.Record), as choices in a form.
	"queue.record.all":      {"record every call", "全部录音"},
	"queue.record.none":     {"never record", "不录音"},
	"queue.record.ondemand": {"record on demand", "按需录音"},
}
