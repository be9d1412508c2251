package i18n

// kindMessages name the store's record kinds where a person reads them
// (the status page's record counts) for kinds whose pages named none.
var kindMessages = map[string]entry{
	"web.kind.agentevents":        {"Agent state changes", "坐席状态变更"},
	"web.kind.apitokens":          {"API tokens", "API 令牌"},
	"web.kind.audit":              {"Audit log entries", "审计日志条目"},
	"web.kind.callback":           {"Callbacks", "回呼"},
	"web.kind.callbacks":          {"Callbacks", "回呼"},
	"web.kind.customerfields":     {"Custom customer fields", "客户自定义字段"},
	"web.kind.directoryconfig":    {"Data source settings", "数据源设置"},
	"web.kind.flow":               {"IVR flows", "IVR 流程"},
	"web.kind.followuppolicy":     {"Follow-up retry rules", "跟进重试规则"},
	"web.kind.followups":          {"Follow-up tasks", "跟进任务"},
	"web.kind.queueintervals":     {"Queue intervals (15 min)", "队列统计时段（15 分钟）"},
	"web.kind.scheduledcallbacks": {"Scheduled callbacks", "预约回呼"},
	"web.kind.scriptanswers":      {"Script answers", "话术回答"},
	"web.kind.scripts":            {"Agent scripts", "坐席话术"},
	"web.kind.sipbans":            {"SIP bans", "SIP 封禁"},
	"web.kind.vm":                 {"Voicemail messages", "语音留言"},
	"web.kind.webhooks":           {"Webhooks", "Webhook"},
}

// auditActionMessages name the audit log's actions that their pages left
// unnamed.
var auditActionMessages = map[string]entry{
	"admin.action.recording-play":      {"played a call recording", "播放通话录音"},
	"admin.action.recording-download":  {"downloaded a call recording", "下载通话录音"},
	"admin.action.install-certificate": {"installed a TLS certificate", "安装 TLS 证书"},
	"admin.action.test":                {"sent a test event", "发送测试事件"},
	"admin.action.export":              {"exported", "导出"},
	"admin.action.import":              {"imported", "导入"},
}
