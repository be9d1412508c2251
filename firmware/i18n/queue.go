package i18n

// queueMessages holds the ACD's texts: queue and agent errors shown in the
// web UI and the API (owned by acd/queue and acd/agent).
var queueMessages = map[string]entry{
	"queue.error.unknown-queue": {"there is no queue “%s”", "没有名为“%s”的队列"},
	"queue.error.unknown-agent": {"there is no agent “%s”", "没有名为“%s”的坐席"},
}
