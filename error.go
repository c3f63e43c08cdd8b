package tandem

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the http package and to one
// exit status on the command line; the code, not the text, is what callers
// branch on.
const (
	ECONFLICT       = "conflict"        // the write clashes with existing state
	EINTERNAL       = "internal"        // a bug or an outage; the message is not shown
	EINVALID        = "invalid"         // bad input: the message names the field
	ENOTFOUND       = "not_found"       // the entity does not exist (or is not yours)
	EUNAUTHORIZED   = "unauthorized"    // no valid credentials
	EFORBIDDEN      = "forbidden"       // valid credentials, not allowed
	ENOTIMPLEMENTED = "not_implemented" // a request for something Tandem does not do
	EUNAVAILABLE    = "unavailable"     // a dependency (the database) is not ready
	ETOOMANY        = "too_many"        // rate limited
)

// Error is an application error: a code, a message that is safe to show to
// the user, and optionally the field of the input it is about.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("tandem error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("tandem error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an Error with the given code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID error about one field of the input.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error in err's chain, or
// EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-safe message of an application error in err's
// chain. Any other error is an internal one whose text must not reach users.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Internal error."
	}
}

// ErrorField returns the input field an application error is about, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
