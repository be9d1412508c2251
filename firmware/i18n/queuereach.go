package i18n

// queuereachMessages holds the answers of a consultation or transfer to
// a queue that found no agent (webui/api_cti_control.go, acd/queue
// Live.Reach).
var queuereachMessages = map[string]entry{
	"queuereach.error.no-agents": {"Nobody is logged in to that queue; the caller is back with you.", "该队列没有已登录的坐席，客户已回到您这里。"},
	"queuereach.error.no-answer": {"No agent of that queue answered (or the queue was removed); the caller is back with you.", "该队列没有坐席应答（或队列已被删除），客户已回到您这里。"},
}
