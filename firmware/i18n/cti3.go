package i18n

// cti3Messages holds the texts of the call-control API's remote answer,
// consultative transfer and scheduled callbacks (acd/cti, webui/api_cti*.go).
var cti3Messages = map[string]entry{
	"cti3.err.not-dialable": {"“%s” cannot be dialled by this site's dialplan", "本站拨号计划无法拨打“%s”"},
	"cti3.err.no-queue":     {"there is no queue “%s”", "没有名为“%s”的队列"},
	"cti3.err.past":         {"the time is in the past", "时间已经过去"},
	"cti3.err.json-type":    {"must be a JSON %s", "须为 JSON %s"},
	"cti3.err.json-unknown": {"is not a field of this request", "不是此请求的字段"},
	"cti3.err.time":         {"give a time like 2026-11-27T15:00:00+08:00", "请填写类似 2026-11-27T15:00:00+08:00 的时间"},

	"cti3.error.not-supported":    {"this box's call control cannot do that", "本设备的通话控制不支持该操作"},
	"cti3.error.not-ringing":      {"no call is ringing the phone of extension %s", "分机 %s 的话机上没有振铃的来电"},
	"cti3.error.phone-refused":    {"the phone refused to answer remotely: %v", "话机拒绝远程应答：%v"},
	"cti3.error.phone-silent":     {"the phone did not respond: %v", "话机没有响应：%v"},
	"cti3.error.no-extension":     {"no extension is known for this call's agent", "不知道该通话坐席的分机"},
	"cti3.error.consulting":       {"a consultation is in progress on this call; complete or cancel it first", "该通话正在咨询中，请先完成或取消咨询"},
	"cti3.error.no-consult":       {"this call has no consultation in progress", "该通话没有进行中的咨询"},
	"cti3.error.unknown-callback": {"there is no scheduled callback “%s”", "没有编号为“%s”的预约回拨"},
	"cti3.error.callback-over":    {"the callback can no longer be cancelled: %v", "该回拨已无法取消：%v"},
	"cti3.error.no-callbacks":     {"callbacks are not available on this box", "本设备未启用回拨"},
}
