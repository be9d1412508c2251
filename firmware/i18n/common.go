package i18n

// commonMessages are words used across the product.
var commonMessages = map[string]entry{
	"lang.en": {"English", "英文"},
	"lang.zh": {"Chinese", "中文"},
}
