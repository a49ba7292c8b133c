package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/currency"
)

// Org is an organization (tenant) and its settings.
type Org struct {
	ID            int64
	Name          string
	Timezone      string
	Currency      string
	WeddingDays   []int // PostgreSQL day-of-week numbers: 0 = Sunday .. 6 = Saturday
	DailyCapacity int
	IsOperator    bool
	CreatedAt     time.Time
}

// Location is the organization's timezone (UTC if it cannot be loaded).
func (o Org) Location() *time.Location {
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// HasWeddingDay reports whether weekday is one of the organization's wedding days.
func (o Org) HasWeddingDay(d time.Weekday) bool { return slices.Contains(o.WeddingDays, int(d)) }

// OrgSettings is the settings form.
type OrgSettings struct {
	Name          string
	Timezone      string
	Currency      string
	WeddingDays   []int
	DailyCapacity int
}

func validateOrgName(p Problems, name string) {
	if name == "" {
		p.Add("org_name", "Enter your business name.")
	} else if len(name) > 200 {
		p.Add("org_name", "Use at most 200 characters.")
	}
}

func validateTimezone(p Problems, tz string) {
	if tz == "" || tz == "Local" || strings.ContainsAny(tz, " \\") {
		p.Add("timezone", "Choose a timezone such as America/New_York.")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		p.Add("timezone", "Unknown timezone. Choose one such as America/New_York.")
	}
}

// ValidCurrency reports whether code is an ISO 4217 currency code in upper case.
func ValidCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

func validateCurrency(p Problems, field, code string) {
	if !ValidCurrency(code) {
		p.Add(field, "Use a three-letter ISO 4217 currency code such as USD or EUR.")
	}
}

// Org loads the organization.
func (db *DB) Org(ctx context.Context, orgID int64) (Org, error) {
	var o Org
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		o, err = orgTx(ctx, tx)
		return err
	})
	return o, wrap("org", err)
}

func orgTx(ctx context.Context, tx pgx.Tx) (Org, error) {
	var o Org
	var days []int16
	err := tx.QueryRow(ctx, `select id, name, timezone, currency, wedding_days, daily_capacity, is_operator, created_at
		from organizations`).Scan(&o.ID, &o.Name, &o.Timezone, &o.Currency, &days, &o.DailyCapacity, &o.IsOperator, &o.CreatedAt)
	for _, d := range days {
		o.WeddingDays = append(o.WeddingDays, int(d))
	}
	return o, err
}

// UpdateOrgSettings validates and saves the settings form.
func (db *DB) UpdateOrgSettings(ctx context.Context, orgID, userID int64, s OrgSettings) error {
	p := Problems{}
	s.Name = strings.TrimSpace(s.Name)
	validateOrgName(p, s.Name)
	validateTimezone(p, s.Timezone)
	validateCurrency(p, "currency", s.Currency)
	if len(s.WeddingDays) == 0 {
		p.Add("wedding_days", "Choose at least one wedding day.")
	}
	for _, d := range s.WeddingDays {
		if d < 0 || d > 6 {
			p.Add("wedding_days", "Unknown weekday.")
		}
	}
	if s.DailyCapacity < 1 || s.DailyCapacity > 100 {
		p.Add("daily_capacity", "Enter a whole number from 1 to 100.")
	}
	if err := p.Err(); err != nil {
		return err
	}
	slices.Sort(s.WeddingDays)
	s.WeddingDays = slices.Compact(s.WeddingDays)
	return wrap("update org settings", db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `update organizations set name = $1, timezone = $2, currency = $3,
			wedding_days = $4, daily_capacity = $5`, s.Name, s.Timezone, s.Currency, s.WeddingDays, s.DailyCapacity); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "organization", orgID, s)
	}))
}
