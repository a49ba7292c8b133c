package jobs

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/store"
)

// outgoing is one delivery rendered for every channel kind.
type outgoing struct {
	notice email.Notice
	sms    string
	event  string
	json   []byte
}

// WebhookPayload is the JSON body of every webhook (documented in the README).
type WebhookPayload struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	CreatedAt    time.Time      `json:"created_at"`
	Organization WebhookOrg     `json:"organization"`
	Alert        *WebhookAlert  `json:"alert,omitempty"`
	Digest       *WebhookDigest `json:"digest,omitempty"`
}

// WebhookOrg names the organization.
type WebhookOrg struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// WebhookAlert is the alert of an alert.raised or alert.escalated event.
type WebhookAlert struct {
	ID              int64     `json:"id"`
	Rule            string    `json:"rule"`
	Subject         string    `json:"subject"`
	Severity        string    `json:"severity"`
	Title           string    `json:"title"`
	Body            string    `json:"body"`
	Status          string    `json:"status"`
	Count           int       `json:"count"`
	FirstSeenAt     time.Time `json:"first_seen_at"`
	LastSeenAt      time.Time `json:"last_seen_at"`
	WeddingDay      bool      `json:"wedding_day"`
	EscalationLevel int       `json:"escalation_level"`
	URL             string    `json:"url"`
}

// WebhookDigest is the summary of an alert.digest event.
type WebhookDigest struct {
	RateClass string              `json:"rate_class"`
	Held      int                 `json:"held"`
	From      time.Time           `json:"from"`
	To        time.Time           `json:"to"`
	Items     []WebhookDigestItem `json:"items"`
}

// WebhookDigestItem is one held-back alert.
type WebhookDigestItem struct {
	AlertID  int64     `json:"alert_id"`
	Title    string    `json:"title"`
	Severity string    `json:"severity"`
	At       time.Time `json:"at"`
}

// compose renders a claimed delivery: email notice, SMS text and webhook body.
func (d *alertDeps) compose(cl store.Claim) (outgoing, error) {
	var o outgoing
	del, org := cl.Delivery, cl.Org
	base := strings.TrimRight(d.cfg.BaseURL, "/")
	p := WebhookPayload{ID: del.IdempotencyKey, CreatedAt: del.CreatedAt.UTC(), Organization: WebhookOrg{ID: org.ID, Name: org.Name}}
	n := email.Notice{OrgName: org.Name, Severity: del.Severity.String()}
	loc := org.Location()
	switch del.Purpose {
	case "digest":
		dg, err := del.Digest()
		if err != nil {
			return o, fmt.Errorf("digest payload: %w", err)
		}
		p.Type, n.Kind = "alert.digest", email.KindDigest
		wd := &WebhookDigest{RateClass: string(dg.RateClass), Held: dg.Held, From: dg.From.UTC(), To: dg.To.UTC()}
		for _, it := range dg.Items {
			wd.Items = append(wd.Items, WebhookDigestItem{AlertID: it.AlertID, Title: it.Title, Severity: it.Severity.String(), At: it.At.UTC()})
			n.Items = append(n.Items, email.Item{Severity: it.Severity.String(), Title: it.Title, When: it.At.In(loc).Format("Mon 2 Jan 15:04")})
		}
		p.Digest, n.Held, n.Link = wd, dg.Held, base+"/alerts"
		latest := ""
		if len(dg.Items) > 0 {
			latest = " Latest: " + dg.Items[len(dg.Items)-1].Title + "."
		}
		o.sms = fmt.Sprintf("WedSync: %d alert notifications were held back by the hourly limit.%s %s", dg.Held, latest, n.Link)
	default:
		a := cl.Alert
		if a == nil {
			return o, fmt.Errorf("delivery %d has no alert", del.ID)
		}
		link := base + "/alerts/" + strconv.FormatInt(a.ID, 10)
		p.Type, n.Kind = "alert.raised", email.KindAlert
		if del.Purpose == "escalation" {
			p.Type, n.Kind, n.Level = "alert.escalated", email.KindEscalation, del.EscalationLevel
		}
		p.Alert = &WebhookAlert{ID: a.ID, Rule: string(a.Kind), Subject: a.Subject, Severity: a.Severity.String(), Title: a.Title,
			Body: a.Body, Status: a.Status, Count: a.Count, FirstSeenAt: a.FirstSeenAt.UTC(), LastSeenAt: a.LastSeenAt.UTC(),
			WeddingDay: a.WeddingDay, EscalationLevel: a.EscalationLevel, URL: link}
		n.Title, n.Body, n.Link = a.Title, a.Body, link
		if del.Purpose == "escalation" {
			n.Severity = store.SeverityEmergency.String()
			o.sms = fmt.Sprintf("WedSync ESCALATION %d [%s] %s: %s. Acknowledge: %s", del.EscalationLevel, n.Severity, org.Name, a.Title, link)
		} else {
			o.sms = fmt.Sprintf("WedSync [%s] %s: %s %s", n.Severity, org.Name, a.Title, link)
		}
	}
	o.notice, o.event = n, p.Type
	var err error
	o.json, err = json.Marshal(p)
	return o, err
}

// messageIDHost is the domain part of email Message-IDs (the public host, or "wedsync.local").
func (d *alertDeps) messageIDHost() string {
	if u, err := url.Parse(d.cfg.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "wedsync.local"
}
