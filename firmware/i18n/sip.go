package i18n

// sipMessages holds the SIP switch's strings (owned by acd/sip): why an
// address failed to authenticate (guard.Ban.Reason holds one of the
// sip.fail.* keys), the labels of the admin's ban list and of the
// trunks' status (acd/sip/trunk: Health.Key names the health labels).
var sipMessages = map[string]entry{
	"sip.fail.wrong_password":  {"wrong password", "密码错误"},
	"sip.fail.unknown_user":    {"unknown extension", "分机不存在"},
	"sip.fail.not_allowed_net": {"address not in the extension's allowed networks", "地址不在该分机允许的网络内"},
	"sip.fail.malformed":       {"malformed credentials", "认证信息格式错误"},
	"sip.fail.wrong_aor":       {"tried to register another extension", "试图注册其他分机"},
	"sip.bans.title":           {"Banned addresses", "已封禁地址"},
	"sip.bans.none":            {"No address is banned.", "当前没有被封禁的地址。"},
	"sip.bans.address":         {"Address", "地址"},
	"sip.bans.since":           {"Banned since", "封禁开始"},
	"sip.bans.until":           {"Banned until", "封禁结束"},
	"sip.bans.failures":        {"Failed attempts", "失败次数"},
	"sip.bans.reason":          {"Last failure", "最后一次失败原因"},
	"sip.bans.lift":            {"Lift ban", "解除封禁"},
	"sip.bans.lifted":          {"The ban on %s was lifted.", "已解除对 %s 的封禁。"},
	"sip.bans.not_banned":      {"%s is not banned.", "%s 未被封禁。"},

	"sip.trunks.title":          {"SIP trunks", "SIP 中继"},
	"sip.trunks.none":           {"No SIP trunk is configured.", "尚未配置 SIP 中继。"},
	"sip.trunks.name":           {"Trunk", "中继"},
	"sip.trunks.registration":   {"Registration", "注册"},
	"sip.trunks.registered":     {"registered until %s", "已注册，有效至 %s"},
	"sip.trunks.not_registered": {"not registered", "未注册"},
	"sip.trunks.no_register":    {"not needed (IP authentication)", "无需注册（IP 认证）"},
	"sip.trunks.next_try":       {"next attempt %s", "下次尝试 %s"},
	"sip.trunks.health":         {"Health", "状态"},
	"sip.trunks.health.up":      {"up", "正常"},
	"sip.trunks.health.down":    {"down", "故障"},
	"sip.trunks.health.unknown": {"checking", "检测中"},
	"sip.trunks.health.off":     {"not checked", "未检测"},
	"sip.trunks.rtt":            {"Round trip", "往返时延"},
	"sip.trunks.channels":       {"Calls", "通话数"},
	"sip.trunks.last_error":     {"Last error", "最近错误"},
	"sip.trunks.disabled":       {"disabled", "已停用"},
}
