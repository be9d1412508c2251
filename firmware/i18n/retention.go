package i18n

// retentionMessages holds the retention policy's checks, its admin page
// (webui/admin_retention.go), the purge results and the status page's
// disk use of recordings.
var retentionMessages = map[string]entry{
	"store.err.disk_percent":           {"must be 0 (no cap) or between %v and %v", "必须为 0（不限制）或在 %v 到 %v 之间"},
	"store.err.recording_outlives_cdr": {"recordings cannot be kept longer than call records (%v days); enter at most that", "录音保留时间不能长于通话记录（%v 天），请填写不超过该值的天数"},
	"store.err.purge_at":               {"must be a time of day HH:MM (00:00 to 23:59)", "必须是 HH:MM 格式的时间（00:00 到 23:59）"},
	"web.kind.retention":               {"Retention", "数据保留"},
}
