package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Review is a couple's rating of the supplier.
type Review struct {
	ID           int64
	BookingID    *int64
	BookingTitle string
	ClientID     *int64
	ClientName   string
	Rating       int // 1 to 5
	Body         string
	Source       string
	ReceivedAt   time.Time
	ExternalID   string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ReviewInput is the review form as typed. Form names: booking_id, client_id (defaults to the
// booking's client), rating (1 to 5), body, source (defaults to "manual"), received_at
// (datetime-local in the org's timezone, defaults to now on create).
type ReviewInput struct {
	BookingID, ClientID, Rating, Body, Source, ReceivedAt string
}

// ReviewRow is a review as an integration delivers it.
type ReviewRow struct {
	IntegrationID int64
	ExternalID    string
	BookingID     *int64
	ClientID      *int64
	Rating        int
	Body          string
	Source        string
	ReceivedAt    time.Time
}

var reviewList = listSpec{
	cols: `r.id, r.booking_id, coalesce(b.title, ''), r.client_id, coalesce(c.name, ''), r.rating, r.body, r.source,
		r.received_at, coalesce(r.external_id, ''), r.created_at, r.updated_at`,
	from:       "reviews r left join bookings b on b.id = r.booking_id left join clients c on c.id = r.client_id",
	idCol:      "r.id",
	dateCol:    "r.received_at",
	dateIsTime: true,
	sourceCol:  "r.source",
	search:     []string{"c.name", "c.email", "r.body"},
	sorts: map[string]string{
		"date": "r.received_at", "-date": "r.received_at desc",
		"rating": "r.rating", "-rating": "r.rating desc",
		"name": "lower(c.name) nulls last", "-name": "lower(c.name) desc nulls last",
	},
	defaultSort: "-date",
}

func scanReview(row pgx.CollectableRow) (Review, error) {
	var r Review
	err := row.Scan(&r.ID, &r.BookingID, &r.BookingTitle, &r.ClientID, &r.ClientName, &r.Rating, &r.Body, &r.Source,
		&r.ReceivedAt, &r.ExternalID, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

func (r Review) audit() map[string]any {
	return map[string]any{"booking_id": deref(r.BookingID), "client_id": deref(r.ClientID), "rating": r.Rating,
		"body": r.Body, "source": r.Source, "received_at": r.ReceivedAt.UTC().Format(time.RFC3339)}
}

// validate checks the form inside tx; creating lets received_at default to now.
func (in ReviewInput) validate(ctx context.Context, tx pgx.Tx, creating bool, now time.Time) (Review, error) {
	org, err := orgTx(ctx, tx)
	if err != nil {
		return Review{}, err
	}
	p := Problems{}
	v := Review{
		BookingID:  idField(p, "booking_id", in.BookingID, "Choose an existing booking."),
		ClientID:   idField(p, "client_id", in.ClientID, "Choose an existing client."),
		Body:       textField(p, "body", in.Body, 5000, ""),
		Source:     textField(p, "source", in.Source, 50, ""),
		ReceivedAt: now,
	}
	if v.Source == "" {
		v.Source = "manual"
	}
	if n, err := strconv.Atoi(strings.TrimSpace(in.Rating)); err != nil || n < 1 || n > 5 {
		p.Add("rating", "Rating must be 1 to 5.")
	} else {
		v.Rating = n
	}
	if at := dateTimeField(p, "received_at", in.ReceivedAt, org.Location(), !creating); at != nil {
		v.ReceivedAt = *at
	}
	if v.BookingID != nil {
		var client *int64
		err := tx.QueryRow(ctx, "select client_id from bookings where id = $1", *v.BookingID).Scan(&client)
		if errors.Is(err, pgx.ErrNoRows) {
			p.Add("booking_id", "Choose an existing booking.")
		} else if err != nil {
			return v, err
		} else if v.ClientID == nil {
			v.ClientID = client
		}
	}
	if err := refExists(ctx, tx, p, "client_id", "clients", v.ClientID, "Choose an existing client."); err != nil {
		return v, err
	}
	return v, p.Err()
}

// CreateReview validates the form and records a review.
func (db *DB) CreateReview(ctx context.Context, orgID, userID int64, in ReviewInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		v, err := in.validate(ctx, tx, true, db.now())
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `insert into reviews (org_id, booking_id, client_id, rating, body, source, received_at)
			values ($1, $2, $3, $4, $5, $6, $7) returning id`,
			orgID, v.BookingID, v.ClientID, v.Rating, v.Body, v.Source, v.ReceivedAt).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "review", id, v.audit())
	})
	return id, recordErr("create review", err)
}

// UpdateReview validates the form and saves it over review id.
func (db *DB) UpdateReview(ctx context.Context, orgID, userID, id int64, in ReviewInput) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, reviewList, id, scanReview)
		if err != nil {
			return err
		}
		v, err := in.validate(ctx, tx, false, db.now())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update reviews set booking_id = $2, client_id = $3, rating = $4, body = $5, source = $6,
			received_at = $7, updated_at = now() where id = $1`,
			id, v.BookingID, v.ClientID, v.Rating, v.Body, v.Source, v.ReceivedAt); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "review", id, changes(old.audit(), v.audit()))
	})
	return recordErr("update review", err)
}

// DeleteReview removes a review.
func (db *DB) DeleteReview(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var rating int
		var source string
		if err := tx.QueryRow(ctx, "delete from reviews where id = $1 returning rating, source", id).Scan(&rating, &source); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "review", id, map[string]any{"rating": rating, "source": source})
	})
	return recordErr("delete review", err)
}

// Review loads one review; ErrNotFound for an unknown id or another organization's.
func (db *DB) Review(ctx context.Context, orgID, id int64) (Review, error) {
	var r Review
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		r, err = getOne(ctx, tx, reviewList, id, scanReview)
		return err
	})
	return r, recordErr("review", err)
}

// ListReviews lists reviews. Sorts: date (received), -date (default), rating, -rating, name,
// -name; Source filters; Q searches the client's name and email and the text; From/To filter
// the received day.
func (db *DB) ListReviews(ctx context.Context, orgID int64, q ListQuery) (Page[Review], error) {
	var page Page[Review]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, reviewList, q, scanReview)
		return err
	})
	return page, recordErr("list reviews", err)
}

// UpsertReview writes a review from an integration inside the sync's transaction, keyed on
// (integration, external id).
func (db *DB) UpsertReview(ctx context.Context, tx pgx.Tx, orgID int64, r ReviewRow) (created bool, err error) {
	if err := checkExternal("upsert review", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Rating < 1 || r.Rating > 5 {
		return false, fmt.Errorf("upsert review %s: rating %d is not 1 to 5", r.ExternalID, r.Rating)
	}
	source := clip(r.Source, 50)
	if source == "" {
		source = "manual"
	}
	if err := checkRefs(ctx, tx, "upsert review", ref{"integrations", &r.IntegrationID}, ref{"bookings", r.BookingID}, ref{"clients", r.ClientID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `insert into reviews (org_id, integration_id, external_id, booking_id, client_id, rating, body,
			source, received_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (integration_id, external_id) do update set booking_id = excluded.booking_id,
			client_id = excluded.client_id, rating = excluded.rating, body = excluded.body, source = excluded.source,
			received_at = excluded.received_at, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, r.BookingID, r.ClientID, r.Rating, clip(r.Body, 5000),
		source, r.ReceivedAt).Scan(&created)
	return created, wrap("upsert review", err)
}
