package i18n

// sipMessages holds the SIP switch's strings (owned by acd/sip): why an
// address failed to authenticate (guard.Ban.Reason holds one of the
// sip.fail.* keys) and the labels of the admin's ban list.
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
}
