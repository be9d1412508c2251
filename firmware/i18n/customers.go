package i18n

// customersMessages holds the customer directory's custom fields, tags and
// VIP levels (firmware/store), and its admin pages (webui/admin_customers*.go).
var customersMessages = map[string]entry{
	"customers.err.tag":              {"must not contain ';' or ',' nor start or end with a space", "不能包含“;”或“,”，首尾不能有空格"},
	"customers.err.field-unknown":    {"there is no custom field “%s”", "没有名为“%s”的自定义字段"},
	"customers.err.field-number":     {"must be a number", "必须是数字"},
	"customers.err.field-choice":     {"must be one of: %s", "必须是以下之一：%s"},
	"customers.err.field-choices":    {"only a choice field has a list of choices", "只有“选项”类型的字段才有选项列表"},
	"customers.err.field-no-choices": {"a choice field needs at least one choice", "选项字段至少需要一个选项"},
	"customers.err.field-reserved":   {"“%s” is a standard column of the directory", "“%s”是客户目录的标准列名"},
	"customers.err.vip-level":        {"must be a whole number from 0 to %d", "必须是 0 到 %d 的整数"},
	"customers.err.csv-field":        {"column “%s” is neither a standard column nor a custom field", "列“%s”既不是标准列，也不是自定义字段"},
}
