package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// cancelCalendarEvent marks an event the provider reports as cancelled without its details
// (Google Calendar's incremental sync sends only id and status for a deleted event): the stored
// title and times are kept. An event never stored is not created.
func cancelCalendarEvent(ctx context.Context, tx pgx.Tx, r CalendarEventRow) (created bool, err error) {
	_, err = tx.Exec(ctx, `update calendar_events set status = 'cancelled', updated_at = now()
		where integration_id = $1 and external_id = $2 and status <> 'cancelled'`, r.IntegrationID, r.ExternalID)
	return false, wrap("cancel calendar event", err)
}
