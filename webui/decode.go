package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Request decoding errors.
var (
	// ErrBadJSON: the body is not one JSON value of the expected shape.
	ErrBadJSON = errors.New("webui: malformed JSON body")
	// ErrTooLarge: the body is over the size limit.
	ErrTooLarge = errors.New("webui: request body too large")
	// ErrContentType: the body is not declared as application/json.
	ErrContentType = errors.New("webui: body is not application/json")
)

// decodeJSON reads exactly one JSON value into v. Unknown fields are
// refused, so a typo in a field name is an error, not a silent no-op.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrTooLarge
		}
		return fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return fmt.Errorf("%w: more than one value", ErrBadJSON)
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrTooLarge
		}
		return fmt.Errorf("%w: trailing data: %w", ErrBadJSON, err)
	}
}

// jsonBody checks that the request declares a JSON body.
func jsonBody(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return ErrContentType
	}
	return nil
}

// badBody answers a body jsonBody or a decoder refused.
func badBody(w http.ResponseWriter, lang i18n.Lang, err error) {
	switch {
	case errors.Is(err, ErrTooLarge):
		apiError(w, http.StatusRequestEntityTooLarge, i18n.T(lang, "web.api.too_large", maxJSONBytes>>10))
	case errors.Is(err, ErrContentType):
		apiError(w, http.StatusUnsupportedMediaType, i18n.T(lang, "web.api.content_type"))
	default:
		apiError(w, http.StatusBadRequest, i18n.T(lang, "web.api.bad_json", errors.Unwrap(err)))
	}
}

// userJSON is a user as the API shows it: never the password hash.
type userJSON struct {
	Name            string     `json:"name"`
	Role            store.Role `json:"role"`
	Lang            i18n.Lang  `json:"lang,omitempty"`
	OneTimePassword bool       `json:"oneTimePassword"`
	Disabled        bool       `json:"disabled"`
	CreatedAt       time.Time  `json:"createdAt,omitzero"`
}

func userOut(u store.User) userJSON {
	return userJSON{Name: u.Name, Role: u.Role, Lang: u.Lang, OneTimePassword: u.OneTimePassword, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// userInput is what POST and PUT /api/v1/users accept. Absent fields keep
// their value on PUT; a password is only ever written, never read.
type userInput struct {
	Name            string      `json:"name"`
	Role            *store.Role `json:"role"`
	Lang            *i18n.Lang  `json:"lang"`
	Password        *string     `json:"password"`
	OneTimePassword *bool       `json:"oneTimePassword"`
	Disabled        *bool       `json:"disabled"`
}

// decodeUserInput parses a user request body.
func decodeUserInput(r io.Reader) (userInput, error) {
	var in userInput
	err := decodeJSON(r, &in)
	return in, err
}

// decodeExtension parses an extension request body.
func decodeExtension(r io.Reader) (store.Extension, error) {
	var e store.Extension
	err := decodeJSON(r, &e)
	return e, err
}

// decodeSettings parses a settings request body.
func decodeSettings(r io.Reader) (store.Settings, error) {
	var st store.Settings
	err := decodeJSON(r, &st)
	return st, err
}
