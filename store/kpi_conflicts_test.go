package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestCalendarConflictsInSnapshot: confirmed wedding calendar events that no counting booking of
// their local date accounts for push a date over capacity: those dates of the next 12 months are
// listed (in the organization's timezone) in the snapshot, apart from overbooked_dates_12m,
// which stays bookings only. Linked, tentative, cancelled, non-wedding, past and far events do
// not count, nor does a calendar event linked to a cancelled booking's date stand in for it.
func TestCalendarConflictsInSnapshot(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/Los_Angeles", "USD")
	f.setCapacity([]int{5, 6, 0}, 1)
	ctx := context.Background()
	now := utc("2026-06-01T17:00:00Z") // 1 June, 10:00 in Los Angeles
	booked := f.book(fxBooking{Client: "Ana & Bo", WeddingDate: "2026-06-06", BookedAt: now.AddDate(0, -3, 0), Contract: 100000})
	f.book(fxBooking{Client: "Cara & Dan", WeddingDate: "2026-06-13", BookedAt: now.AddDate(0, -3, 0), Contract: 100000})
	cancelled := f.book(fxBooking{Client: "Eve & Finn", WeddingDate: "2026-06-27", BookedAt: now.AddDate(0, -3, 0), Contract: 100000, Status: "cancelled"})
	event := func(title, kind, status string, starts time.Time, booking any) {
		f.exec(`insert into calendar_events (org_id, title, starts_at, ends_at, kind, status, booking_id)
			values ($1, $2, $3::timestamptz, $3::timestamptz + interval '6 hours', $4, $5, $6)`, f.org, title, starts, kind, status, booking)
	}
	// 6 June: the booking's own event (linked) and an unlinked second wedding: a conflict.
	event("Wedding Ana & Bo", "wedding", "confirmed", f.local(2026, 6, 6, 14, 0), booked)
	event("Wedding Gus & Hal", "wedding", "confirmed", f.local(2026, 6, 6, 16, 0), nil)
	// 13 June: the booking's event, not linked: 1 booking + 1 event > 1 (the calendar cannot
	// tell them apart, so the supplier is asked to look).
	event("Wedding", "wedding", "confirmed", f.local(2026, 6, 13, 12, 0), nil)
	// 20 June, 23:30 local (21 June UTC): alone, within capacity.
	event("Wedding Ivy & Jo", "wedding", "confirmed", f.local(2026, 6, 20, 23, 30), nil)
	// 21 June local: two unlinked weddings and no booking: a conflict on the local date.
	event("Wedding Kim & Lu", "wedding", "confirmed", f.local(2026, 6, 21, 10, 0), nil)
	event("Wedding Max & Ned", "wedding", "confirmed", f.local(2026, 6, 21, 15, 0), nil)
	// 27 June: linked to a cancelled booking, with another unlinked one: two weddings, one slot.
	event("Wedding Eve & Finn", "wedding", "confirmed", f.local(2026, 6, 27, 12, 0), cancelled)
	event("Wedding Oz & Pia", "wedding", "confirmed", f.local(2026, 6, 27, 15, 0), nil)
	// None of these count.
	event("Wedding tentative", "wedding", "tentative", f.local(2026, 7, 4, 12, 0), nil)
	event("Wedding tentative 2", "wedding", "tentative", f.local(2026, 7, 4, 13, 0), nil)
	event("Wedding cancelled", "wedding", "cancelled", f.local(2026, 7, 11, 12, 0), nil)
	event("Wedding cancelled 2", "wedding", "cancelled", f.local(2026, 7, 11, 13, 0), nil)
	event("Consultation", "consultation", "confirmed", f.local(2026, 6, 13, 9, 0), nil)
	event("Wedding past", "wedding", "confirmed", f.local(2026, 5, 30, 12, 0), nil)
	event("Wedding past 2", "wedding", "confirmed", f.local(2026, 5, 30, 13, 0), nil)
	event("Wedding far", "wedding", "confirmed", f.local(2027, 6, 1, 12, 0), nil) // today+365
	event("Wedding far 2", "wedding", "confirmed", f.local(2027, 6, 1, 13, 0), nil)

	k, err := env.DB.ComputeKPIs(ctx, f.org, now)
	require.NoError(t, err)
	require.Equal(t, []store.CalendarConflict{
		{Date: "2026-06-06", Bookings: 1, CalendarWeddings: 1},
		{Date: "2026-06-13", Bookings: 1, CalendarWeddings: 1},
		{Date: "2026-06-21", Bookings: 0, CalendarWeddings: 2},
		{Date: "2026-06-27", Bookings: 0, CalendarWeddings: 2},
	}, k.CalendarConflicts)
	require.Equal(t, 0, k.OverbookedDates12m, "overbooked_dates_12m counts bookings only")
	require.Empty(t, k.OverbookedDates)

	// The list is part of the stored snapshot.
	data, err := json.Marshal(k)
	require.NoError(t, err)
	var back store.KPIs
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, k.CalendarConflicts, back.CalendarConflicts)

	// With two slots a day every one of those dates fits.
	f.setCapacity([]int{5, 6, 0}, 2)
	k, err = env.DB.ComputeKPIs(ctx, f.org, now)
	require.NoError(t, err)
	require.Empty(t, k.CalendarConflicts)
}
