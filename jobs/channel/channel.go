// Package channel holds what the notification channels share: the distinction between errors
// worth retrying and errors that never succeed. Each channel lives in its own sub-package
// (email over SMTP, sms through Twilio, webhook) and knows nothing of routes or sessions.
package channel

import "errors"

// PermanentError is a failure that a retry cannot fix: an HTTP 4xx (other than 408 and 429), an
// SMTP 5yz reply, a message that cannot be built. Everything else (5xx, timeouts, refused
// connections, SMTP 4yz) is transient and worth retrying.
type PermanentError struct {
	Err error
}

// Error is the wrapped error's message.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent (nil stays nil).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
