// Package calmap decides what a calendar event is to a supplier: a wedding, a consultation or
// anything else. Every calendar connector (Google, Outlook, Calendly, iCalendar feeds) classifies
// its events with the rules of its integration, edited on the integration's form, so one
// supplier's "Smith & Jones ceremony" and another's "WEDDING: Smith" both count.
package calmap

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Config keys of the mapping, shared by every calendar provider's form.
const (
	// WeddingKey holds the wedding rule: comma-separated words, or /a regular expression/.
	WeddingKey = "wedding_match"
	// ConsultationKey holds the consultation rule, in the same form.
	ConsultationKey = "consultation_match"
	// CalendarsKey lists the calendar ids to read, comma-separated; empty means the primary one.
	CalendarsKey = "calendars"
)

// Default rules, used when a form leaves a rule empty.
const (
	DefaultWedding      = "wedding, elopement, ceremony, nuptials"
	DefaultConsultation = "consultation, consult, discovery call, venue visit, tasting"
)

// The kinds an event can have (store.CalendarEventKinds).
const (
	KindWedding      = "wedding"
	KindConsultation = "consultation"
	KindOther        = "other"
)

// Rule matches event titles: any of its words (case-insensitive, anywhere in the title), or a
// regular expression (case-insensitive) when written between slashes.
type Rule struct {
	words []string
	re    *regexp.Regexp
}

// ParseRule reads "word, other words" or "/regexp/". An empty text matches nothing.
func ParseRule(text string) (Rule, error) {
	text = strings.TrimSpace(text)
	if len(text) >= 2 && strings.HasPrefix(text, "/") && strings.HasSuffix(text, "/") {
		re, err := regexp.Compile("(?i)" + text[1:len(text)-1])
		if err != nil {
			return Rule{}, fmt.Errorf("the pattern is not a valid regular expression: %v", err)
		}
		return Rule{re: re}, nil
	}
	var r Rule
	for _, w := range strings.Split(text, ",") {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			r.words = append(r.words, w)
		}
	}
	return r, nil
}

// Match reports whether the title matches the rule.
func (r Rule) Match(title string) bool {
	if r.re != nil {
		return r.re.MatchString(title)
	}
	lower := strings.ToLower(title)
	for _, w := range r.words {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Rules classify the events of one calendar integration.
type Rules struct {
	Wedding, Consultation Rule
	// Calendars are the calendar ids to read; empty means the provider's primary calendar.
	Calendars []string
}

// FromConfig reads an integration's rules from its config, with the defaults for empty rules.
// Invalid rules (which the form refuses) fall back to the defaults.
func FromConfig(cfg map[string]string) Rules {
	return Rules{
		Wedding:      ruleOr(cfg[WeddingKey], DefaultWedding),
		Consultation: ruleOr(cfg[ConsultationKey], DefaultConsultation),
		Calendars:    splitList(cfg[CalendarsKey]),
	}
}

func ruleOr(text, fallback string) Rule {
	if strings.TrimSpace(text) != "" {
		if r, err := ParseRule(text); err == nil {
			return r
		}
	}
	r, _ := ParseRule(fallback)
	return r
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Classify gives an event's kind from its title: the wedding rule wins over the consultation
// rule, and a title neither matches is "other".
func (r Rules) Classify(title string) string {
	switch {
	case r.Wedding.Match(title):
		return KindWedding
	case r.Consultation.Match(title):
		return KindConsultation
	}
	return KindOther
}

// Fields are the mapping inputs every calendar provider appends to its connection form.
func Fields() []connector.Field {
	return []connector.Field{
		{Name: WeddingKey, Label: "Wedding events", Optional: true,
			Hint: "Titles containing any of these comma-separated words are weddings, or write /a pattern/. Default: " + DefaultWedding + "."},
		{Name: ConsultationKey, Label: "Consultation events", Optional: true,
			Hint: "Titles containing any of these words are consultations. Default: " + DefaultConsultation + "."},
		{Name: CalendarsKey, Label: "Calendars", Optional: true,
			Hint: "Calendar ids to read, comma-separated; empty reads the primary calendar."},
	}
}

// Validate checks the mapping fields of a form, one message per field name.
func Validate(values map[string]string) map[string]string {
	msgs := map[string]string{}
	for _, k := range []string{WeddingKey, ConsultationKey} {
		if _, err := ParseRule(values[k]); err != nil {
			msgs[k] = "The " + strings.ReplaceAll(err.Error(), "the pattern", "pattern") + "."
		}
	}
	return msgs
}
