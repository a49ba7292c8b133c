package email

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
)

// The kinds of notice.
const (
	KindAlert      = "alert"
	KindEscalation = "escalation"
	KindDigest     = "digest"
)

// Notice is what one email says: an alert, an escalation of one, or a digest of alerts that the
// rate limit held back.
type Notice struct {
	OrgName  string
	Kind     string
	Severity string // "HIGH"
	Title    string
	Body     string
	// Link is an absolute URL to the alert (or the alerts page).
	Link string
	// Level is the escalation level.
	Level int
	// Items and Held describe a digest: the first held alerts and how many there were in all.
	Items []Item
	Held  int
}

// Item is one line of a digest.
type Item struct {
	Severity, Title, When string
}

// Subject is the email's subject line.
func (n Notice) Subject() string {
	switch n.Kind {
	case KindEscalation:
		return fmt.Sprintf("[%s] Escalation level %d: %s", n.Severity, n.Level, n.Title)
	case KindDigest:
		return fmt.Sprintf("[%s] Digest: %d alert notification(s) held back", n.Severity, n.Held)
	}
	return fmt.Sprintf("[%s] %s", n.Severity, n.Title)
}

// Heading is the first line of the body.
func (n Notice) Heading() string {
	if n.Kind == KindDigest {
		return fmt.Sprintf("%d alert notification(s) were held back by the hourly limit", n.Held)
	}
	return n.Title
}

// LinkLabel is the text of the link.
func (n Notice) LinkLabel() string {
	switch n.Kind {
	case KindDigest:
		return "Open the alerts"
	case KindEscalation:
		return "Acknowledge the alert"
	}
	return "Open the alert"
}

// Footer explains why the email was sent.
func (n Notice) Footer() string {
	if n.Kind == KindDigest {
		return "WedSync sends at most a set number of notifications per hour; this digest lists what was held back."
	}
	return "You receive this because an alert rule of " + n.OrgName + " notifies this address."
}

// Render renders the HTML and plain-text bodies.
func (n Notice) Render(ctx context.Context) (htmlBody, textBody string, err error) {
	var h, t bytes.Buffer
	if err := NoticeHTML(n).Render(ctx, &h); err != nil {
		return "", "", fmt.Errorf("email: render html: %w", err)
	}
	if err := NoticeText(n).Render(ctx, &t); err != nil {
		return "", "", fmt.Errorf("email: render text: %w", err)
	}
	return h.String(), tidyText(html.UnescapeString(t.String())), nil
}

// tidyText removes the single space templ puts between the expressions of NoticeText.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " ")
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

func severityStyle(sev string) string {
	bg := map[string]string{"LOW": "#e3ecf3", "MEDIUM": "#f3ecd9", "HIGH": "#f7dcc4", "CRITICAL": "#f3c6c0", "EMERGENCY": "#b3261e"}[strings.ToUpper(sev)]
	fg := "#2b2622"
	if sev == "EMERGENCY" {
		fg = "#ffffff"
	}
	if bg == "" {
		bg = "#eeeeee"
	}
	return "display:inline-block;padding:2px 8px;border-radius:4px;font-size:12px;font-weight:bold;background:" + bg + ";color:" + fg
}
