package store

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var (
	e164Re      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	twilioSIDRe = regexp.MustCompile(`^AC[0-9a-zA-Z]{32}$`)
	clockRe     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// ValidPhone reports whether s is an E.164 phone number such as +447700900123.
func ValidPhone(s string) bool { return e164Re.MatchString(s) }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// validateChannel normalizes and checks a channel form.
func validateChannel(in *ChannelInput, creating bool) error {
	p := Problems{}
	if !in.Kind.Valid() {
		p.Add("kind", "Choose a channel type.")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		p.Add("name", "Give the channel a name.")
	} else if len(in.Name) > 100 {
		p.Add("name", "Use at most 100 characters.")
	}
	if !in.MinSeverity.Valid() {
		p.Add("min_severity", "Choose a severity.")
	}
	in.QuietStart, in.QuietEnd = strings.TrimSpace(in.QuietStart), strings.TrimSpace(in.QuietEnd)
	if in.Kind == ChannelInApp {
		in.QuietStart, in.QuietEnd = "", ""
	}
	switch {
	case in.QuietStart == "" && in.QuietEnd == "":
	case !clockRe.MatchString(in.QuietStart):
		p.Add("quiet_start", "Enter a time like 22:00, or leave both quiet-hour times empty.")
	case !clockRe.MatchString(in.QuietEnd):
		p.Add("quiet_end", "Enter a time like 07:00, or leave both quiet-hour times empty.")
	case in.QuietStart == in.QuietEnd:
		p.Add("quiet_end", "Quiet hours must end at a different time than they start.")
	}
	targets := splitList(in.Target)
	in.TwilioSID, in.TwilioFrom = strings.TrimSpace(in.TwilioSID), strings.TrimSpace(in.TwilioFrom)
	switch in.Kind {
	case ChannelInApp:
		targets, in.TwilioSID, in.TwilioFrom, in.Secret = nil, "", "", ""
	case ChannelEmail:
		if len(targets) == 0 || len(targets) > 10 {
			p.Add("target", "Enter one to ten email addresses, separated by commas.")
		}
		for _, t := range targets {
			if a, err := mail.ParseAddress(t); err != nil || a.Address != t {
				p.Add("target", fmt.Sprintf("%q is not an email address like name@example.com.", t))
			}
		}
		in.TwilioSID, in.TwilioFrom, in.Secret = "", "", ""
	case ChannelSMS:
		if len(targets) == 0 || len(targets) > 10 {
			p.Add("target", "Enter one to ten phone numbers, separated by commas.")
		}
		for _, t := range targets {
			if !ValidPhone(t) {
				p.Add("target", fmt.Sprintf("%q is not a phone number in international form like +447700900123.", t))
			}
		}
		if in.TwilioSID != "" && !twilioSIDRe.MatchString(in.TwilioSID) {
			p.Add("twilio_sid", "A Twilio Account SID starts with AC followed by 32 letters and digits.")
		}
		if in.TwilioFrom != "" && !ValidPhone(in.TwilioFrom) {
			p.Add("twilio_from", "Enter the sending number in international form like +15005550006.")
		}
		if in.TwilioSID != "" && in.TwilioFrom == "" {
			p.Add("twilio_from", "Enter the number your Twilio account sends from.")
		}
		if creating && in.TwilioSID != "" && in.Secret == "" {
			p.Add("secret", "Enter the auth token of that Twilio account.")
		}
	case ChannelWebhook:
		u, err := url.Parse(strings.TrimSpace(in.Target))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.Target) > 2000 {
			p.Add("target", "Enter the receiver's URL, starting with https://.")
		} else if u.User != nil {
			p.Add("target", "Put no user name or password in the URL.")
		}
		targets = []string{strings.TrimSpace(in.Target)}
		in.TwilioSID, in.TwilioFrom = "", ""
		if in.Secret != "" && len(in.Secret) < 16 {
			p.Add("secret", "Use a signing secret of at least 16 characters, or leave it blank to generate one.")
		}
	}
	in.Target = strings.Join(targets, ", ")
	return p.Err()
}

// maskSecret shows the first 6 and last 4 characters of a long secret ("whsec_…a1b2").
func maskSecret(s string) string {
	if len(s) <= 12 {
		return "…" + s[max(0, len(s)-2):]
	}
	return s[:6] + "…" + s[len(s)-4:]
}

// NewWebhookSecret makes a random signing secret.
func NewWebhookSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// QuietUntil reports whether local time at now falls in the quiet hours start..end ("HH:MM",
// wrapping past midnight when end <= start) and, if so, when they end.
func QuietUntil(now time.Time, loc *time.Location, start, end string) (time.Time, bool) {
	if start == "" || end == "" {
		return time.Time{}, false
	}
	s, err1 := time.Parse("15:04", start)
	e, err2 := time.Parse("15:04", end)
	if err1 != nil || err2 != nil || start == end {
		return time.Time{}, false
	}
	local := now.In(loc)
	mins := local.Hour()*60 + local.Minute()
	sm, em := s.Hour()*60+s.Minute(), e.Hour()*60+e.Minute()
	var inside bool
	if sm < em {
		inside = mins >= sm && mins < em
	} else {
		inside = mins >= sm || mins < em
	}
	if !inside {
		return time.Time{}, false
	}
	day := local
	if mins >= em {
		day = local.AddDate(0, 0, 1)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), e.Hour(), e.Minute(), 0, 0, loc), true
}
