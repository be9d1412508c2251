package i18n

// consoleuiMessages holds the follow-up tasks (acd/followup, the
// /api/v1/followups endpoints) and the agent console's follow-up and
// SMS panels (webui/agent*.go). The serial console's strings are in
// console.go.
var consoleuiMessages = map[string]entry{
	"followup.summary":         {"Follow-up “%s”: %s.", "跟进“%s”：%s。"},
	"followup.summary.next":    {"Next call %s.", "下次致电 %s。"},
	"followup.summary.retry":   {"Attempt %d; trying again %s.", "第 %d 次尝试，将于 %s 重试。"},
	"followup.summary.gave-up": {"Given up after %d attempts.", "已尝试 %d 次，放弃。"},

	"followup.outcome.reached":     {"Reached", "已联系上"},
	"followup.outcome.noanswer":    {"No answer", "无人接听"},
	"followup.outcome.busy":        {"Busy", "占线"},
	"followup.outcome.wrongnumber": {"Wrong number", "号码错误"},
	"followup.outcome.reschedule":  {"Reschedule", "改约时间"},

	"followup.state.open":      {"Open", "待办"},
	"followup.state.dialing":   {"Dialling", "拨号中"},
	"followup.state.done":      {"Done", "已完成"},
	"followup.state.failed":    {"Failed", "失败"},
	"followup.state.cancelled": {"Cancelled", "已取消"},

	"followup.source.wrapup": {"Wrap-up", "话后处理"},
	"followup.source.api":    {"API", "接口"},
	"followup.source.import": {"Import", "导入"},

	"followup.err.past":      {"must be in the future", "必须是将来的时间"},
	"followup.err.type":      {"must not be a JSON %s", "不能是 JSON %s"},
	"followup.err.time":      {"not a date and time (for example 2026-12-01T14:30:00+08:00)", "不是有效的日期时间（例如 2026-12-01T14:30:00+08:00）"},
	"followup.err.not-found": {"No such follow-up task.", "没有该跟进任务。"},
	"followup.err.not-yours": {"This follow-up task is another agent's.", "该跟进任务属于其他坐席。"},
	"followup.err.assign":    {"Agents can only add follow-ups to their own list.", "坐席只能为自己添加跟进任务。"},
	"followup.err.state":     {"Not possible: the task is %s.", "无法操作：任务状态为“%s”。"},
	"followup.err.agent":     {"no agent “%s”", "没有坐席“%s”"},
	"followup.err.no-agent":  {"Your login is not linked to an agent.", "您的登录账号未关联坐席。"},
	"followup.err.no-ext":    {"Log in to an extension first: the call rings it.", "请先签入分机：呼叫会先振铃该分机。"},

	"followup.csv.due":      {"“%s” is not a date and time (2026-12-01 14:30)", "“%s”不是有效的日期时间（如 2026-12-01 14:30）"},
	"followup.csv.priority": {"“%s” is not a priority from 0 to 9", "“%s”不是 0 到 9 之间的优先级"},
}
