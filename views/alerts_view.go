package views

import (
	"strconv"
	"strings"

	"github.com/wedsync/wedsync/store"
)

// AlertRow is one alert in a list.
type AlertRow struct {
	ID                   int64
	Severity             string // "HIGH"
	Title                string
	Status               string
	Count                int
	FirstSeen, LastSeen  string // local, formatted
	Resolved, ResolvedBy string
	WeddingDay           bool
}

// AlertDetail is the page of one alert.
type AlertDetail struct {
	AlertRow
	Body           string
	Link           string
	RuleLabel      string
	Acknowledged   string // "by Ada at ..." or ""
	Snoozed        string
	SnoozeNote     string
	Escalation     string
	Events         []AlertEventRow
	Deliveries     []DeliveryRow
	SnoozeUntil    string // the snooze form's value (datetime-local)
	SnoozeNoteForm string
}

// AlertEventRow is one line of an alert's history.
type AlertEventRow struct {
	At, Action, Who, Note string
}

// DeliveryRow is one line of an alert's delivery log.
type DeliveryRow struct {
	Channel, Kind, Target, Purpose, Status, LastError, Sent, Created string
	Attempts                                                         int
}

// RuleRow is one rule in the rules list.
type RuleRow struct {
	ID                                       int64
	Name, Kind, KindLabel, Severity, Summary string
	Enabled                                  bool
}

// RuleForm is the rule form's values, as typed.
type RuleForm struct {
	ID                                                  int64
	Kind, KindLabel                                     string
	Name, Severity                                      string
	Days, DropPct, MonthPct, Hours, MaxRating, Failures string
	FullDates, Enabled                                  bool
	WatchBalance, WatchConflict                         bool
	WatchCalendar, WatchOpenAlerts                      bool
}

// Action is where the rule form posts.
func (f RuleForm) Action() string {
	if f.ID == 0 {
		return "/alerts/rules"
	}
	return "/alerts/rules/" + strconv.FormatInt(f.ID, 10)
}

// ChannelRow is one channel in the channels list.
type ChannelRow struct {
	ID                                                int64
	Name, Kind, KindLabel, Target, MinSeverity, Quiet string
	Enabled                                           bool
}

// ChannelForm is the channel form's values, as typed. Secrets are never filled back: SecretHint
// is the masked form of the stored one.
type ChannelForm struct {
	ID                        int64
	Kind, KindLabel           string
	Name, Target, MinSeverity string
	QuietStart, QuietEnd      string
	TwilioSID, TwilioFrom     string
	SecretHint                string
	Enabled                   bool
	// NewSecret is a webhook signing secret generated just now, shown once.
	NewSecret string
}

// Action is where the channel form posts.
func (f ChannelForm) Action() string {
	if f.ID == 0 {
		return "/alerts/channels"
	}
	return "/alerts/channels/" + strconv.FormatInt(f.ID, 10)
}

// SeverityOptions are the choices of a severity select box.
func SeverityOptions() []Option {
	out := make([]Option, len(store.Severities))
	for i, s := range store.Severities {
		out[i] = Option{Value: s.String(), Label: s.String()}
	}
	return out
}

// RuleKindOptions are the rule types.
func RuleKindOptions() []Option {
	out := make([]Option, len(store.RuleKinds))
	for i, k := range store.RuleKinds {
		out[i] = Option{Value: string(k), Label: k.Label()}
	}
	return out
}

// ChannelKindOptions are the channel types.
func ChannelKindOptions() []Option {
	out := make([]Option, len(store.ChannelKinds))
	for i, k := range store.ChannelKinds {
		out[i] = Option{Value: string(k), Label: k.Label()}
	}
	return out
}

// alertPath is the page of an alert.
func alertPath(id int64) string { return "/alerts/" + strconv.FormatInt(id, 10) }

// severityClass is a CSS hook per severity ("sev-high").
func severityClass(s string) string { return "status sev-" + strings.ToLower(s) }

// internalLink keeps only same-site paths.
func internalLink(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return s
	}
	return ""
}
