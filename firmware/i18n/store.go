package i18n

// storeMessages holds the store's validation errors (owned by firmware/store).
var storeMessages = map[string]entry{}
