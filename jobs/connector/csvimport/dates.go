package csvimport

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the date forms CRM exports use: ISO, US month-first with 2- or 4-digit
// years, month names, and the same with a time of day (which is dropped).
var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "1/2/2006", "1/2/06", "1-2-2006", "1.2.2006",
	"Jan 2, 2006", "January 2, 2006", "Jan 2 2006", "January 2 2006", "2 Jan 2006", "2 January 2006",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006", "02-Jan-2006", "2-Jan-06",
	time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"1/2/2006 15:04", "1/2/2006 15:04:05", "1/2/2006 3:04 PM", "1/2/2006 3:04:05 PM", "1/2/06 3:04 PM",
	"Jan 2, 2006 3:04 PM", "January 2, 2006 3:04 PM", "Jan 2, 2006, 3:04 PM",
}

// ParseDate reads a calendar date in one of the common US or ISO forms; the result is that day
// at midnight UTC. Month-first is assumed for slashed dates (the US exports of HoneyBook and
// Dubsado); years before 1900 or after 2200 are refused as typos.
func ParseDate(s string) (time.Time, error) {
	v := strings.Join(strings.Fields(s), " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				return time.Time{}, fmt.Errorf("%q has an unlikely year", clipText(s))
			}
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2027-06-12 or 6/12/2027", clipText(s))
}
