package i18n

// sipleftMessages holds the texts of the SIP settings as the box runs them
// (webui/setup.go, the setup page).
var sipleftMessages = map[string]entry{
	"sipleft.setup.fixed": {"The box listens on these ports now because its command line sets them (--sip); start it without --sip to choose the SIP domain and ports here.",
		"设备当前在这些端口上监听，因为启动命令行指定了它们（--sip）；不带 --sip 启动后才能在此选择 SIP 域名和端口。"},
	"sipleft.setup.domain_box": {"(the box's address)", "（设备的地址）"},
}
