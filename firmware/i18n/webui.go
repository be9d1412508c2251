package i18n

// webMessages holds the web UI (owned by webui).
var webMessages = map[string]entry{}
