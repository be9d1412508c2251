package i18n

// ctiMessages holds the CTI texts: screen-pop, webhook and call-control API
// messages (owned by acd/cti and the CTI endpoints of webui), and the field
// errors of the CTI's store records.
var ctiMessages = map[string]entry{
	"cti.error.unknown-call":  {"there is no call “%s”", "没有编号为“%s”的通话"},
	"cti.error.wrapup-code":   {"is not one of this box's wrap-up codes", "不是本机设置的话后处理代码"},
	"cti.error.wrapup-note":   {"is required with this wrap-up code", "选择此话后处理代码时必须填写"},
	"cti.error.no-cti":        {"the CTI service is not running", "CTI 服务未运行"},
	"cti.error.no-control":    {"call control is not available on this box", "本设备未启用通话控制"},
	"cti.error.no-agents":     {"agent control is not available on this box", "本设备未启用坐席控制"},
	"cti.error.no-directory":  {"the customer directory is not available", "客户目录不可用"},
	"cti.error.control":       {"the call could not be changed: %v", "无法操作通话：%v"},
	"cti.error.not-your-call": {"this call is not offered to you", "该通话不是分配给您的"},
	"cti.error.no-agent":      {"your user is not linked to an agent", "您的用户未关联坐席"},
	"cti.error.replay-gap":    {"events after %d are no longer kept; reload", "%d 之后的事件已不再保留，请重新加载"},
	"cti.error.token":         {"the API token is not valid", "API 令牌无效"},
	"cti.error.rate":          {"too many requests; retry in %d s", "请求过多，请 %d 秒后重试"},
	"cti.error.no-script":     {"the queue “%s” has no agent script", "队列“%s”没有坐席脚本"},
	"cti.error.lookup":        {"the number could not be looked up: %v", "无法查询该号码：%v"},
	"cti.error.no-user":       {"no user is named “%s”", "没有名为“%s”的用户"},
	"cti.error.sources":       {"the data sources could not be built: %v", "无法建立数据源：%v"},
	"cti.err.url":             {"is not an http:// or https:// URL", "不是 http:// 或 https:// 网址"},
	"cti.err.secret":          {"must be at least %d characters", "至少需要 %d 个字符"},
	"cti.err.next":            {"leads to the unknown step “%s”", "指向不存在的步骤“%s”"},
	"cti.err.cycle":           {"the script loops back to step “%s”", "脚本在步骤“%s”处形成循环"},
	"cti.err.choices":         {"a choice step needs 1 to %d answers", "选择步骤需要 1 到 %d 个选项"},
	"cti.err.start":           {"names no step of the script", "不是脚本中的步骤"},
	"cti.script.answer":       {"“%s” is not an answer of this step", "“%s”不是该步骤的选项"},
	"cti.script.order":        {"the step “%s” is not on the path of the answers before it", "步骤“%s”不在之前回答所确定的路径上"},
	"cti.script.required":     {"the step needs an answer", "该步骤需要回答"},
}
