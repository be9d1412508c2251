package i18n

// ctiMessages holds the CTI texts: screen-pop, webhook and call-control API
// messages (owned by acd/cti and the CTI endpoints of webui).
var ctiMessages = map[string]entry{
	"cti.error.unknown-call": {"there is no call “%s”", "没有编号为“%s”的通话"},
}
