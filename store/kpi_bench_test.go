package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store/storetest"
)

// BenchmarkComputeKPIs measures a full recompute for one organization with 1,000,000 payments,
// 100,000 bookings (and as many invoices), 200,000 inquiries and 20,000 reviews over six years.
// The target is 500 ms. Run: go test ./store/ -run '^$' -bench ComputeKPIs -benchtime 10x
func BenchmarkComputeKPIs(b *testing.B) {
	env, org := bigEnv(b)
	ctx := context.Background()
	now := time.Date(2026, 6, 15, 16, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		_, err := env.DB.ComputeKPIs(ctx, org, now)
		require.NoError(b, err)
	}
}

// bigEnv is a database with one large organization.
func bigEnv(b *testing.B) (*storetest.Env, int64) {
	env := storetest.New(b)
	ctx := context.Background()
	org, _ := env.NewOrg(b, "Big Studio", "America/New_York", "USD")
	for _, sql := range []string{
		`insert into bookings (org_id, wedding_date, booked_at, status, contract_amount, currency)
			select $1, date '2021-01-01' + (i % 2500), timestamptz '2020-06-01' + (i * interval '31 minutes'),
				case when i % 10 = 0 then 'cancelled' else 'confirmed' end, 100000 + i % 900000,
				case when i % 50 = 0 then 'EUR' else 'USD' end
			from generate_series(1, 100000) i`,
		`insert into invoices (org_id, booking_id, due_date, amount, amount_paid, status)
			select $1, id, wedding_date - 30, contract_amount / 2, (contract_amount / 2) * (id % 2),
				case when id % 2 = 0 then 'open' else 'paid' end from bookings where org_id = $1`,
		`insert into payments (org_id, booking_id, amount, refunded_amount, currency, status, paid_at)
			select $1, case when i % 3 = 0 then null else (select min(id) from bookings where org_id = $1) + i % 100000 end,
				1000 + i % 50000, case when i % 20 = 0 then 500 else 0 end,
				case when i % 40 = 0 then 'EUR' else 'USD' end,
				case when i % 20 = 0 then 'partially_refunded' when i % 17 = 0 then 'pending' else 'succeeded' end,
				timestamptz '2020-07-01' + (i * interval '189 seconds')
			from generate_series(1, 1000000) i`,
		`insert into inquiries (org_id, source, received_at, first_response_at, status, currency)
			select $1, (array['website','instagram','referral','google'])[1 + i % 4], timestamptz '2020-07-01' + (i * interval '945 seconds'),
				case when i % 5 = 0 then null else timestamptz '2020-07-01' + (i * interval '945 seconds') + (i % 5000) * interval '1 minute' end,
				(array['new','contacted','proposal','booked','lost'])[1 + i % 5], 'USD'
			from generate_series(1, 200000) i`,
		`insert into reviews (org_id, rating, received_at) select $1, 1 + i % 5, timestamptz '2020-07-01' + i * interval '2 hours' from generate_series(1, 20000) i`,
		`analyze`,
	} {
		args := []any{org}
		if sql == `analyze` {
			args = nil
		}
		_, err := env.Admin.Exec(ctx, sql, args...)
		require.NoError(b, err)
	}
	return env, org
}
