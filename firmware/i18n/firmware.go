package i18n

// firmwareMessages holds the firmware and command line (owned by firmware and cmd).
var firmwareMessages = map[string]entry{}
