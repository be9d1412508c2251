package i18n

// consoleMessages holds the serial console (owned by firmware/console).
var consoleMessages = map[string]entry{}
