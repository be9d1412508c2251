package i18n

// dialingMessages holds the texts of E.164 dialling (the trunk's number
// format in the admin's trunk form) and of the web sessions list.
var dialingMessages = map[string]entry{
	"admin.f.numberFormat":     {"Number format", "号码格式"},
	"dialing.h.numberFormat":   {"How the called number goes to this trunk: as the dialplan sends it, in the national form, or in E.164 (+8613800138000) for carriers that route E.164", "被叫号码发往此中继的格式：按拨号计划发送、国内格式，或 E.164 格式（+8613800138000，适用于按 E.164 路由的运营商）"},
	"dialing.numfmt.as_dialed": {"as the dialplan sends it", "按拨号计划发送"},
	"dialing.numfmt.national":  {"national (0138…, 00 + country abroad)", "国内格式（0138…，国际号码加 00）"},
	"dialing.numfmt.e164":      {"E.164 (+86…)", "E.164 格式（+86…）"},
}
