package i18n

// msg3Messages holds the texts of the stored auto-reply rules, closing SMS
// conversations and the fax pages (acd/messaging, webui/messages*.go).
var msg3Messages = map[string]entry{
	"store.err.regexp":    {"not a valid regular expression: %s", "不是有效的正则表达式：%s"},
	"store.err.keyword":   {"one word of letters and digits", "须为一个由字母和数字组成的词"},
	"store.err.match_all": {"this rule would answer every message; add a condition or a queue", "此规则会回复所有短信；请添加条件或队列"},
	"store.err.no_action": {"give a reply, a queue or a tag", "请填写回复、队列或标签"},

	"messaging.err.not_holder": {"only the agent holding this conversation or a supervisor may do this", "只有处理此会话的坐席或主管可以执行此操作"},
	"messaging.err.no_hours":   {"no schedule named %q", "没有名为“%s”的时间表"},
	"messaging.err.no_queue":   {"no queue named %q", "没有名为“%s”的队列"},
	"messaging.err.no_line":    {"no line with ID %q", "没有编号为“%s”的线路"},
}
