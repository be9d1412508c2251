package i18n

// consolegapsMessages holds the texts of the console following every call
// of its agent: click-to-dial pops, the current call after a reload, and
// the event that carries it (acd/cti current.go, webui/agent*.go,
// api_cti.go).
var consolegapsMessages = map[string]entry{
	"consolegaps.outbound":   {"Outbound call", "外呼"},
	"consolegaps.no-call":    {"Agent %s has no current call.", "坐席 %s 当前没有通话。"},
	"consolegaps.call-ended": {"Call %s ended; you may wrap it up.", "通话 %s 已结束，可以填写话后小结。"},
	"wa2.ev.call.current":    {"a call becomes or stops being an agent's current call (queue, transfer, click-to-dial)", "通话成为或不再是坐席的当前通话（队列、转接、点击拨号）"},
}
