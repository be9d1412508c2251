package i18n

// acdivrMessages holds the voicemail API's answers (webui/api_voicemail.go)
// and the flow checks' messages added with it.
var acdivrMessages = map[string]entry{
	"vm.api.no-voicemail":      {"Voicemail is not running on this box.", "本设备未运行语音信箱。"},
	"vm.api.no-box":            {"No such mailbox.", "没有这个信箱。"},
	"vm.api.not-yours":         {"You may only open the mailbox of your own extension.", "您只能打开自己分机的信箱。"},
	"vm.api.no-message":        {"No such message; it may have been deleted.", "没有这条留言，可能已被删除。"},
	"vm.api.no-audio":          {"The audio file is missing.", "音频文件不存在。"},
	"vm.api.no-greeting":       {"This mailbox has no such greeting; callers hear the standard one.", "此信箱没有该问候语，来电者将听到标准问候语。"},
	"vm.api.bad-kind":          {"Unknown greeting: use unavailable, busy or name.", "未知的问候语类型：请使用 unavailable、busy 或 name。"},
	"vm.api.bad-audio":         {"The file is not a WAV file the box can play: upload RIFF WAV, PCM 8 or 16 bit or G.711 (μ-law, A-law).", "该文件不是本设备可播放的 WAV 文件：请上传 RIFF WAV（8 或 16 位 PCM，或 G.711 μ 律、A 律）。"},
	"vm.api.too-long":          {"The greeting is too long: at most %d seconds.", "问候语太长：最多 %d 秒。"},
	"vm.api.too-short":         {"The greeting is too short: record at least half a second.", "问候语太短：至少需要半秒。"},
	"vm.api.too-large":         {"The file is too large: at most %d MB.", "文件太大：最多 %d MB。"},
	"vm.api.bad-request":       {"The request was malformed.", "请求格式错误。"},
	"vm.api.bad-pin":           {"A PIN is %d to %d digits, not one digit repeated, not a run such as 1234, not the extension number.", "密码须为 %d 到 %d 位数字，不能是同一数字重复、不能是 1234 这样的连续数字，也不能是分机号码。"},
	"vm.api.pin-not-extension": {"Only an extension's mailbox has a PIN.", "只有分机信箱才有密码。"},
	"vm.api.failed":            {"The mailbox could not be read or changed; see the log.", "无法读取或修改信箱，请查看日志。"},
}
