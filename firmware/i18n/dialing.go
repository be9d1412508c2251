package i18n

// dialingMessages holds the texts of E.164 dialling (the trunk's number
// format in the admin's trunk form) and of the web sessions list.
var dialingMessages = map[string]entry{
	"admin.f.numberFormat":     {"Number format", "号码格式"},
	"dialing.h.numberFormat":   {"How the called number goes to this trunk: as the dialplan sends it, in the national form, or in E.164 (+8613800138000) for carriers that route E.164", "被叫号码发往此中继的格式：按拨号计划发送、国内格式，或 E.164 格式（+8613800138000，适用于按 E.164 路由的运营商）"},
	"dialing.numfmt.as_dialed": {"as the dialplan sends it", "按拨号计划发送"},
	"dialing.numfmt.national":  {"national (0138…, 00 + country abroad)", "国内格式（0138…，国际号码加 00）"},
	"dialing.numfmt.e164":      {"E.164 (+86…)", "E.164 格式（+86…）"},

	"web.kind.sessions":      {"Web sessions", "网页会话"},
	"dialing.menu.sessions":  {"Sessions", "登录会话"},
	"dialing.sess.intro":     {"Who is logged in to the web interface. Sessions survive a restart of the box; logging one out sends that browser to the login page at its next click.", "当前登录网页界面的用户。会话在设备重启后依然有效；注销某个会话后，该浏览器下次操作时将回到登录页。"},
	"dialing.sess.from":      {"From", "来源"},
	"dialing.sess.since":     {"Logged in", "登录时间"},
	"dialing.sess.last_seen": {"Last active", "最近活动"},
	"dialing.sess.own":       {"this browser", "本浏览器"},
	"dialing.sess.end":       {"Log out", "注销"},
	"dialing.sess.confirm":   {"Log out this session of %s?", "注销 %s 的这个会话？"},
	"dialing.sess.none":      {"Nobody is logged in.", "当前没有人登录。"},
}
