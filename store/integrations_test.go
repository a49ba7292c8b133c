package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

const integKey = "sk_live_51HxYzStoreTestSecretKey4242"

func integKeys(t *testing.T) *secret.Keyring {
	t.Helper()
	k, err := secret.Parse(secret.Generate("s1"))
	require.NoError(t, err)
	return k
}

func integKeysWithSpec(t *testing.T) (*secret.Keyring, string) {
	t.Helper()
	spec := secret.Generate("s1")
	k, err := secret.Parse(spec)
	require.NoError(t, err)
	return k, spec
}

func integCreateStripe(t *testing.T, env *storetest.Env, keys store.Sealer, org, user int64) store.Integration {
	t.Helper()
	in, err := env.DB.CreateIntegration(context.Background(), org, user, keys, store.IntegrationInput{Provider: "stripe", Name: "Stripe",
		IntervalMinutes: "20", Secrets: map[string]string{"secret_key": integKey, "webhook_secret": "whsec_StoreTestSigningSecret0001"}})
	require.NoError(t, err)
	return in
}

func TestMaskSecret(t *testing.T) {
	t.Parallel()
	require.Equal(t, "sk_live_…4242", store.MaskSecret(integKey))
	require.Equal(t, "whsec_…0001", store.MaskSecret("whsec_StoreTestSigningSecret0001"))
	require.Equal(t, "…wxyz", store.MaskSecret("abcdefghijklmnopqrstuvwxyz"))
	require.Equal(t, "••••", store.MaskSecret("short-secret"))
}

func TestIntegrationSecretsAreSealedMaskedAndBoundToTheIntegration(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys, spec := integKeysWithSpec(t)
	org, user := env.NewOrg(t, "Seal Studio", "UTC", "USD")
	a := integCreateStripe(t, env, keys, org, user)
	b := integCreateStripe(t, env, keys, org, user)
	require.NotEqual(t, a.PublicID, b.PublicID)
	require.Equal(t, 20, a.IntervalMinutes)
	require.Equal(t, map[string]string{"secret_key": "sk_live_…4242", "webhook_secret": "whsec_…0001"}, a.CredentialHints)

	var sealed string
	require.NoError(t, env.Admin.QueryRow(ctx, "select credentials from integrations where id = $1", a.ID).Scan(&sealed))
	require.NotContains(t, sealed, "StoreTest")
	got, err := env.DB.IntegrationSecrets(ctx, org, a.ID, keys)
	require.NoError(t, err)
	require.Equal(t, integKey, got["secret_key"])

	// A sealed value copied onto another integration does not open there.
	_, err = env.Admin.Exec(ctx, "update integrations set credentials = $2 where id = $1", b.ID, sealed)
	require.NoError(t, err)
	_, err = env.DB.IntegrationSecrets(ctx, org, b.ID, keys)
	require.ErrorIs(t, err, secret.ErrUndecryptable)

	// After a rotation the old key still opens old values; a new save uses the new key.
	rotated, err := secret.Parse(secret.Generate("s2") + "," + spec)
	require.NoError(t, err)
	got, err = env.DB.IntegrationSecrets(ctx, org, a.ID, rotated)
	require.NoError(t, err)
	require.Equal(t, integKey, got["secret_key"])
	require.NoError(t, env.DB.UpdateIntegration(ctx, org, user, rotated, a.PublicID, store.IntegrationInput{Provider: "stripe",
		Name: "Renamed", IntervalMinutes: "20", Secrets: map[string]string{"secret_key": "", "webhook_secret": "whsec_RotatedSigningSecret00002"}}))
	require.NoError(t, env.Admin.QueryRow(ctx, "select credentials from integrations where id = $1", a.ID).Scan(&sealed))
	require.True(t, strings.HasPrefix(sealed, "s2."))
	got, err = env.DB.IntegrationSecrets(ctx, org, a.ID, rotated)
	require.NoError(t, err)
	require.Equal(t, integKey, got["secret_key"], "a blank secret keeps the stored one")
	require.Equal(t, "whsec_RotatedSigningSecret00002", got["webhook_secret"])
	a, err = env.DB.Integration(ctx, org, a.PublicID)
	require.NoError(t, err)
	require.Equal(t, "Renamed", a.Name)
	require.Equal(t, "whsec_…0002", a.CredentialHints["webhook_secret"])
}

func TestIntegrationInputIsValidated(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	keys := integKeys(t)
	org, user := env.NewOrg(t, "Valid Venue", "UTC", "USD")
	for _, tc := range []struct {
		in    store.IntegrationInput
		field string
	}{
		{store.IntegrationInput{Provider: "stripe", IntervalMinutes: "4"}, "interval_minutes"},
		{store.IntegrationInput{Provider: "stripe", IntervalMinutes: "1441"}, "interval_minutes"},
		{store.IntegrationInput{Provider: "stripe", IntervalMinutes: "ten"}, "interval_minutes"},
		{store.IntegrationInput{Provider: "stripe", Name: strings.Repeat("x", 101)}, "name"},
		{store.IntegrationInput{Provider: ""}, "provider"},
	} {
		_, err := env.DB.CreateIntegration(context.Background(), org, user, keys, tc.in)
		var ve *store.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Contains(t, ve.Fields, tc.field)
	}
}

func TestCrossOrgLookupsGoThroughTheSysFunctions(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys := integKeys(t)
	orgA, userA := env.NewOrg(t, "A", "UTC", "USD")
	orgB, userB := env.NewOrg(t, "B", "UTC", "USD")
	a := integCreateStripe(t, env, keys, orgA, userA)
	b := integCreateStripe(t, env, keys, orgB, userB)
	c := integCreateStripe(t, env, keys, orgB, userB)
	_, err := env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 hour' where id = $1", c.ID)
	require.NoError(t, err)
	_, err = env.Admin.Exec(ctx, "update integrations set status = 'paused' where id = $1", b.ID)
	require.NoError(t, err)

	// The app role sees no integration without a scope; the functions answer their one question.
	var visible int
	require.NoError(t, env.DB.Pool.QueryRow(ctx, "select count(*) from integrations").Scan(&visible))
	require.Zero(t, visible)
	due, err := env.DB.DueIntegrations(ctx, time.Now().Add(time.Second), store.DueIntegration{}, 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, store.DueIntegration{ID: a.ID, OrgID: orgA}, store.DueIntegration{ID: due[0].ID, OrgID: due[0].OrgID})

	got, err := env.DB.WebhookIntegration(ctx, "stripe", c.PublicID)
	require.NoError(t, err)
	require.Equal(t, store.DueIntegration{ID: c.ID, OrgID: orgB}, got)
	_, err = env.DB.WebhookIntegration(ctx, "square", c.PublicID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = env.DB.WebhookIntegration(ctx, "stripe", "int_nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	// Scoped reads of another organization's integration are not found.
	_, err = env.DB.Integration(ctx, orgA, c.PublicID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.PauseIntegration(ctx, orgA, userA, c.PublicID), store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeleteIntegration(ctx, orgA, userA, c.PublicID), store.ErrNotFound)
}

func TestSyncRunsResumeForTheirJobAndKeepCounts(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys := integKeys(t)
	org, user := env.NewOrg(t, "Runs Ltd", "UTC", "USD")
	in := integCreateStripe(t, env, keys, org, user)

	run, err := env.DB.StartSyncRun(ctx, org, in.ID, 7, "manual")
	require.NoError(t, err)
	pages := 0 // provider pages in the next write; zero counts one
	page := func(runID int64, cursor string, c store.SyncCounts, problem string) {
		require.NoError(t, env.DB.WriteOrg(ctx, org, func(tx pgx.Tx) error {
			return env.DB.SaveSyncPage(ctx, tx, store.SyncPage{OrgID: org, IntegrationID: in.ID, RunID: runID,
				Pages: pages, Cursor: json.RawMessage(cursor), Counts: c, Problem: problem})
		}))
	}
	page(run.ID, `{"after":"ch_1"}`, store.SyncCounts{Created: 100}, "")
	pages = 3 // three provider pages fetched ahead, written together
	again, err := env.DB.StartSyncRun(ctx, org, in.ID, 7, "manual")
	require.NoError(t, err)
	require.Equal(t, run.ID, again.ID, "the same job continues its run")
	require.Equal(t, 100, again.Counts.Created)
	page(run.ID, `{"after":"ch_2"}`, store.SyncCounts{Created: 50, Updated: 2, Skipped: 1}, "payment ch_x skipped: bad currency")

	other, err := env.DB.StartSyncRun(ctx, org, in.ID, 8, "schedule")
	require.NoError(t, err)
	require.NotEqual(t, run.ID, other.ID)
	old, err := env.DB.SyncRun(ctx, org, run.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", old.Status)
	require.Equal(t, "interrupted", old.ErrorClass)
	require.Equal(t, store.SyncCounts{Created: 150, Updated: 2, Skipped: 1}, old.Counts)
	require.Equal(t, 4, old.Pages)

	target, err := env.DB.SyncTarget(ctx, org, in.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"after":"ch_2"}`, string(target.Cursor))
	require.Equal(t, int64(152), target.RecordsSynced)

	// Failures build a streak; the policy decides the status; success resets it.
	for i := 1; i <= 2; i++ {
		status, err := env.DB.SyncFailed(ctx, org, in.ID, other.ID, store.SyncFailure{Class: "provider_down", Message: "HTTP 503",
			Counts: true, NextRunAt: time.Now().Add(time.Minute), Decide: func(streak int, since time.Time) (string, string) {
				require.Equal(t, i, streak)
				require.WithinDuration(t, time.Now(), since, time.Minute)
				return store.IntegrationDegraded, ""
			}})
		require.NoError(t, err)
		require.Equal(t, store.IntegrationDegraded, status)
	}
	require.NoError(t, env.DB.SyncSucceeded(ctx, org, in.ID, other.ID, time.Now().Add(20*time.Minute)))
	in, err = env.DB.IntegrationByID(ctx, org, in.ID)
	require.NoError(t, err)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	require.Zero(t, in.ConsecutiveFailures)
	require.Nil(t, in.FailingSince)
	require.Empty(t, in.LastError)
}

func TestWebhookEventsAreStoredOncePerProviderEvent(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys := integKeys(t)
	org, user := env.NewOrg(t, "Hooks Co", "UTC", "USD")
	in := integCreateStripe(t, env, keys, org, user)
	var ids []int64
	for i := 0; i < 3; i++ {
		require.NoError(t, env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
			id, inserted, err := env.DB.InsertWebhookEvent(ctx, tx, org, in.ID, "evt_1", "charge.succeeded", []byte(`{"id":"evt_1"}`))
			if inserted {
				ids = append(ids, id)
			}
			return err
		}))
	}
	require.Len(t, ids, 1)
	events, err := env.DB.RecentWebhookEvents(ctx, org, in.ID, 10)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, "charge.succeeded", events[0].Type)
}

func TestBookingLinksByReferenceAndClientEmail(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Links Ltd", "UTC", "USD")
	other, _ := env.NewOrg(t, "Elsewhere", "UTC", "USD")
	var booking, foreign int64
	require.NoError(t, env.Admin.QueryRow(ctx, `with c as (insert into clients (org_id, name, email) values ($1, 'Ada', 'Ada@Example.com') returning id)
		insert into bookings (org_id, client_id, wedding_date, booked_at, contract_amount, currency, external_id)
		select $1, id, '2027-06-05', now(), 100, 'USD', 'crm-77' from c returning id`, org).Scan(&booking))
	require.NoError(t, env.Admin.QueryRow(ctx, `insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency)
		values ($1, '2027-06-06', now(), 100, 'USD') returning id`, other).Scan(&foreign))
	err := env.DB.ReadOrg(ctx, org, func(tx pgx.Tx) error {
		for ref, want := range map[string]*int64{
			integItoa(booking): &booking, "#" + integItoa(booking): &booking, "crm-77": &booking, integItoa(foreign): nil, "nope": nil,
		} {
			got, err := env.DB.BookingByRef(ctx, tx, ref)
			if err != nil {
				return err
			}
			require.Equalf(t, want, got, "ref %q", ref)
		}
		got, err := env.DB.BookingByClientEmail(ctx, tx, "ada@example.com")
		require.Equal(t, &booking, got)
		return err
	})
	require.NoError(t, err)
	require.False(t, errors.Is(err, store.ErrNotFound))
}

func integItoa(n int64) string { return strconv.FormatInt(n, 10) }
