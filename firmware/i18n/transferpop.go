package i18n

// transferpopMessages holds the texts of transfers that carry the call's
// data: the console's consult/transfer box with its note and queue
// targets, the target's pop (who handed the call over, the notes), and
// the API's note checks (acd/cti handoff, webui/agent*.go, api_cti.go).
var transferpopMessages = map[string]entry{
	"transferpop.note":            {"Note for the next agent", "给接手坐席的备注"},
	"transferpop.note.hint":       {"What they should know (optional)", "对方需要了解的情况（可选）"},
	"transferpop.target.hint":     {"Extension, number or queue", "分机、号码或队列"},
	"transferpop.queue":           {"queue %s", "队列 %s"},
	"transferpop.consult":         {"Consult", "咨询"},
	"transferpop.complete":        {"Complete transfer", "完成转接"},
	"transferpop.cancel":          {"Back to caller", "返回客户"},
	"transferpop.consulting":      {"Talking to %s; the caller is on hold. Complete the transfer or go back.", "正在与 %s 通话，客户保持中。可完成转接或返回客户。"},
	"transferpop.completed":       {"Transfer completed.", "转接已完成。"},
	"transferpop.by":              {"Transferred by %s", "由 %s 转来"},
	"transferpop.kind.blind":      {"blind transfer", "直接转接"},
	"transferpop.kind.consult":    {"consultation", "咨询转接"},
	"transferpop.stage.ringing":   {"ringing", "振铃中"},
	"transferpop.stage.answered":  {"talking with the agent who hands it over", "正与转出坐席通话"},
	"transferpop.stage.completed": {"the call is yours", "通话已转给您"},
	"transferpop.notes":           {"Notes on this call", "本通话备注"},
	"transferpop.note.wrapup":     {"wrap-up", "话后小结"},
	"transferpop.withdrawn":       {"The transfer of call %s was withdrawn.", "通话 %s 的转接已撤回。"},
	"transferpop.from":            {"transferred from %s", "由 %s 转来"},
	"transferpop.err.note-text":   {"must be plain text", "须为纯文本"},
	"transferpop.err.too-many":    {"this call has as many notes as it can keep", "该通话的备注已达上限"},

	"wa2.ev.call.handoff": {"a call is handed on (blind or consultative transfer), at each stage", "通话转接（直接或咨询转接）的每个阶段"},
}
