package store

import (
	"fmt"
	"strings"
)

// Severity orders alerts and channels: LOW < MEDIUM < HIGH < CRITICAL < EMERGENCY.
type Severity int

// The severities, stored as smallints 1..5.
const (
	SeverityLow       Severity = 1
	SeverityMedium    Severity = 2
	SeverityHigh      Severity = 3
	SeverityCritical  Severity = 4
	SeverityEmergency Severity = 5
)

// Severities lists every severity, lowest first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical, SeverityEmergency}

// String is the upper-case name ("HIGH").
func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "LOW"
	case SeverityMedium:
		return "MEDIUM"
	case SeverityHigh:
		return "HIGH"
	case SeverityCritical:
		return "CRITICAL"
	case SeverityEmergency:
		return "EMERGENCY"
	}
	return fmt.Sprintf("SEVERITY(%d)", int(s))
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s >= SeverityLow && s <= SeverityEmergency }

// ParseSeverity reads a severity name in any case ("high", "HIGH").
func ParseSeverity(name string) (Severity, bool) {
	for _, s := range Severities {
		if strings.EqualFold(name, s.String()) {
			return s, true
		}
	}
	return 0, false
}

// RateClass is the rolling-hour budget a notification counts against.
type RateClass string

// The two rate classes: LOW..CRITICAL share the standard budget, EMERGENCY has its own.
const (
	RateStandard  RateClass = "standard"
	RateEmergency RateClass = "emergency"
)

// RateClassOf is the class of a severity.
func RateClassOf(s Severity) RateClass {
	if s >= SeverityEmergency {
		return RateEmergency
	}
	return RateStandard
}

// RuleKind is the type of an alert rule.
type RuleKind string

// The rule kinds.
const (
	RuleRevenueDrop       RuleKind = "revenue_drop"
	RuleCapacity          RuleKind = "capacity"
	RuleOverduePayment    RuleKind = "overdue_payment"
	RuleUnansweredInquiry RuleKind = "unanswered_inquiry"
	RuleLowReview         RuleKind = "low_review"
	RuleSyncFailure       RuleKind = "sync_failure"
	RuleWeddingDay        RuleKind = "wedding_day"
)

// RuleKinds lists every kind in display order.
var RuleKinds = []RuleKind{RuleRevenueDrop, RuleCapacity, RuleOverduePayment, RuleUnansweredInquiry,
	RuleLowReview, RuleSyncFailure, RuleWeddingDay}

// Label is the kind's name for people.
func (k RuleKind) Label() string {
	switch k {
	case RuleRevenueDrop:
		return "Revenue drop"
	case RuleCapacity:
		return "Capacity"
	case RuleOverduePayment:
		return "Overdue payment"
	case RuleUnansweredInquiry:
		return "Unanswered inquiry"
	case RuleLowReview:
		return "Low review"
	case RuleSyncFailure:
		return "Sync failure"
	case RuleWeddingDay:
		return "Wedding day"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k RuleKind) Valid() bool {
	for _, v := range RuleKinds {
		if v == k {
			return true
		}
	}
	return false
}

// RuleParams are the parameters of every kind; each kind uses its own fields.
type RuleParams struct {
	// revenue_drop: trailing Days against the same window last year falls by at least DropPct %.
	// overdue_payment: an open invoice overdue at least Days days.
	Days    int `json:"days,omitempty"`
	DropPct int `json:"drop_pct,omitempty"`
	// capacity: a date past capacity always; a date at capacity when FullDates; a month whose
	// wedding-day utilization is at least MonthPct % (0 turns the month check off).
	MonthPct  int  `json:"month_pct,omitempty"`
	FullDates bool `json:"full_dates,omitempty"`
	// unanswered_inquiry: no response after Hours. sync_failure: no success in Hours.
	Hours int `json:"hours,omitempty"`
	// low_review: a rating of at most MaxRating.
	MaxRating int `json:"max_rating,omitempty"`
	// sync_failure: Failures consecutive failures.
	Failures int `json:"failures,omitempty"`
	// wedding_day: what to watch on the day.
	WatchBalance    bool `json:"watch_balance,omitempty"`
	WatchConflict   bool `json:"watch_conflict,omitempty"`
	WatchCalendar   bool `json:"watch_calendar,omitempty"`
	WatchOpenAlerts bool `json:"watch_open_alerts,omitempty"`
}

// Rule is one alert rule.
type Rule struct {
	ID       int64
	Kind     RuleKind
	Name     string
	Severity Severity
	Params   RuleParams
	Enabled  bool
}

// DisplayName is the rule's name, or its kind's label when unnamed.
func (r Rule) DisplayName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Kind.Label()
}

// DefaultRules are the rules a new organization starts with.
func DefaultRules() []Rule {
	return []Rule{
		{Kind: RuleRevenueDrop, Severity: SeverityMedium, Enabled: true, Params: RuleParams{Days: 30, DropPct: 20}},
		{Kind: RuleCapacity, Severity: SeverityHigh, Enabled: true, Params: RuleParams{MonthPct: 90}},
		{Kind: RuleOverduePayment, Severity: SeverityMedium, Enabled: true, Params: RuleParams{Days: 7}},
		{Kind: RuleUnansweredInquiry, Severity: SeverityMedium, Enabled: true, Params: RuleParams{Hours: 24}},
		{Kind: RuleLowReview, Severity: SeverityHigh, Enabled: true, Params: RuleParams{MaxRating: 2}},
		{Kind: RuleSyncFailure, Severity: SeverityHigh, Enabled: true, Params: RuleParams{Failures: 3, Hours: 24}},
		{Kind: RuleWeddingDay, Severity: SeverityCritical, Enabled: true, Params: RuleParams{
			WatchBalance: true, WatchConflict: true, WatchCalendar: true, WatchOpenAlerts: true}},
	}
}

// validateRule checks a rule's kind, severity and the parameters its kind uses, and clears the
// parameters it does not use.
func validateRule(r *Rule) error {
	p := Problems{}
	if !r.Kind.Valid() {
		p.Add("kind", "Choose a rule type.")
	}
	r.Name = strings.TrimSpace(r.Name)
	if len(r.Name) > 100 {
		p.Add("name", "Use at most 100 characters.")
	}
	if !r.Severity.Valid() {
		p.Add("severity", "Choose a severity.")
	}
	in, out := r.Params, RuleParams{}
	between := func(field string, v, lo, hi int, msg string) int {
		if v < lo || v > hi {
			p.Add(field, msg)
		}
		return v
	}
	switch r.Kind {
	case RuleRevenueDrop:
		out.Days = between("days", in.Days, 7, 365, "Enter a number of days from 7 to 365.")
		out.DropPct = between("drop_pct", in.DropPct, 1, 100, "Enter a percentage from 1 to 100.")
	case RuleCapacity:
		out.MonthPct = between("month_pct", in.MonthPct, 0, 100, "Enter a percentage from 0 (off) to 100.")
		out.FullDates = in.FullDates
	case RuleOverduePayment:
		out.Days = between("days", in.Days, 0, 365, "Enter a number of days from 0 to 365.")
	case RuleUnansweredInquiry:
		out.Hours = between("hours", in.Hours, 1, 720, "Enter a number of hours from 1 to 720.")
	case RuleLowReview:
		out.MaxRating = between("max_rating", in.MaxRating, 1, 4, "Enter a rating from 1 to 4.")
	case RuleSyncFailure:
		out.Failures = between("failures", in.Failures, 1, 100, "Enter a number of failures from 1 to 100.")
		out.Hours = between("hours", in.Hours, 1, 720, "Enter a number of hours from 1 to 720.")
	case RuleWeddingDay:
		if r.Severity.Valid() && r.Severity < SeverityCritical {
			p.Add("severity", "Wedding-day alerts are CRITICAL or EMERGENCY.")
		}
		out.WatchBalance, out.WatchConflict = in.WatchBalance, in.WatchConflict
		out.WatchCalendar, out.WatchOpenAlerts = in.WatchCalendar, in.WatchOpenAlerts
		if !out.WatchBalance && !out.WatchConflict && !out.WatchCalendar && !out.WatchOpenAlerts {
			p.Add("watch", "Choose at least one thing to watch.")
		}
	}
	r.Params = out
	return p.Err()
}
