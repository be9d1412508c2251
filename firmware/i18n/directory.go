package i18n

// directoryMessages holds the customer directory's texts: data source
// errors on the status page and screen pop, and CSV import problems
// (owned by acd/directory).
var directoryMessages = map[string]entry{
	"directory.source.timeout":   {"source %s did not answer in time", "数据源 %s 未及时响应"},
	"directory.source.failed":    {"source %s failed: %v", "数据源 %s 出错：%v"},
	"directory.csv.columns":      {"the row has %d columns, the header has %d", "该行有 %d 列，表头有 %d 列"},
	"directory.csv.header":       {"the header lacks the column “%s”", "表头缺少“%s”列"},
	"directory.csv.unknown":      {"unknown column “%s”", "未知列“%s”"},
	"directory.csv.syntax":       {"the file is not valid CSV: %v", "文件不是有效的 CSV：%v"},
	"directory.csv.duplicate-id": {"the id “%s” is also on line %d", "编号“%s”在第 %d 行也出现"},
	"directory.csv.number":       {"“%s” is not a phone number", "“%s”不是电话号码"},
	"directory.csv.too-many":     {"the file has more than %d rows", "文件超过 %d 行"},
	"directory.csv.at":           {"line %d, %s: %s", "第 %d 行，%s：%s"},
	"directory.csv.empty":        {"the file has no rows", "文件没有数据行"},
}
