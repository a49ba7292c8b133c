package handlers

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
)

// moneySeries are the series that carry money and are withheld from hide-money share links.
var moneySeries = map[string]bool{"revenue_by_month": true, "forecast_revenue_6m": true, "upcoming_weddings": true}

// moneyKPIs are the scalar KPIs in minor units, withheld from hide-money share links.
var moneyKPIs = map[string]bool{"revenue_mtd": true, "revenue_mtd_last_year": true, "revenue_ytd": true, "revenue_ltm": true,
	"booked_value_ltm": true, "avg_booking_value_ltm": true, "outstanding_balance": true, "overdue_amount": true,
	"scheduled_next_90d": true, "revenue_mtd_change_pct": true}

func (s *Server) exportCSV(c echo.Context) error {
	v := viewerOf(c)
	return s.writeCSV(c, v.Org, false)
}

func (s *Server) sharedExportCSV(c echo.Context) error {
	link, org, err := s.shareViewer(c)
	if err != nil {
		return err
	}
	return s.writeCSV(c, org, link.HideMoney)
}

// writeCSV exports the latest snapshot: the scalar KPIs (name,value as in data-value), or one
// series with ?series=<name>.
func (s *Server) writeCSV(c echo.Context, org store.Org, hideMoney bool) error {
	snap, err := s.db.LatestSnapshot(c.Request().Context(), org.ID)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "Your numbers are still being computed. Try again in a moment.")
	} else if err != nil {
		return err
	}
	k := snap.KPIs
	series := c.QueryParam("series")
	if hideMoney && moneySeries[series] {
		return echo.NewHTTPError(http.StatusForbidden, "Money figures are hidden on this shared dashboard.")
	}
	var rows [][]string
	switch series {
	case "":
		rows = append(rows, []string{"kpi", "value"})
		for _, name := range store.ScalarKPINames() {
			val, _ := k.RawValue(name)
			if hideMoney && moneyKPIs[name] {
				val = ""
			}
			rows = append(rows, []string{name, val})
		}
		rows = append(rows, []string{"currency", k.Currency})
	case "revenue_by_month":
		rows = append(rows, []string{"month", "amount"})
		for _, m := range k.RevenueByMonth {
			rows = append(rows, []string{m.Month, itoa64(m.Amount)})
		}
	case "leads_by_source_90d":
		rows = append(rows, []string{"source", "inquiries", "booked"})
		for _, l := range k.LeadsBySource90d {
			rows = append(rows, []string{l.Source, strconv.Itoa(l.Inquiries), strconv.Itoa(l.Booked)})
		}
	case "forecast_revenue_6m":
		rows = append(rows, []string{"month", "committed", "expected", "low", "high"})
		for _, f := range k.Forecast {
			rows = append(rows, []string{f.Month, itoa64(f.Committed), itoa64(f.Expected), itoa64(f.Low), itoa64(f.High)})
		}
	case "seasonality":
		rows = append(rows, []string{"month", "index"})
		for _, m := range k.Seasonality {
			idx := ""
			if m.Index != nil {
				idx = *m.Index
			}
			rows = append(rows, []string{strconv.Itoa(m.Month), idx})
		}
	case "capacity_calendar":
		rows = append(rows, []string{"date", "bookings", "wedding_day"})
		for _, d := range k.CapacityCalendar {
			rows = append(rows, []string{d.Date, strconv.Itoa(d.Bookings), strconv.FormatBool(d.IsWeddingDay)})
		}
	case "upcoming_weddings":
		rows = append(rows, []string{"date", "couple", "contract_amount", "balance_due", "currency"})
		for _, w := range k.UpcomingWeddings {
			rows = append(rows, []string{w.Date, w.ClientName, itoa64(w.ContractAmount), itoa64(w.BalanceDue), w.Currency})
		}
	default:
		return echo.NewHTTPError(http.StatusNotFound, "There is no series with that name.")
	}
	name := series
	if name == "" {
		name = "kpis"
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="wedsync-%s-%s.csv"`, name, k.Today))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	for _, r := range rows {
		for i, cell := range r {
			r[i] = csvSafe(cell)
		}
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return nil
}

// csvSafe defuses spreadsheet formulas in text a client typed (a couple's name like "=cmd").
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
