package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestCSVImportsProgressErrorsAndAbandonedUploads: progress adds up batch by batch, only the
// first MaxImportErrors row errors are kept (the count goes on), an upload can be confirmed
// once, and an upload left unconfirmed for a week loses its bytes at the next upload.
func TestCSVImportsProgressErrorsAndAbandonedUploads(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Imports", "UTC", "USD")
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "dubsado", Name: "Dubsado"})
	require.NoError(t, err)
	up := store.NewCSVImport{IntegrationID: in.ID, Filename: "a.csv", Data: []byte("a\n1\n"), Header: []string{"a"},
		Mapping: map[string]int{"client_name": 0}, TotalRows: 1000}
	old, err := env.DB.CreateCSVImport(ctx, org, user, up)
	require.NoError(t, err)
	_, err = env.Admin.Exec(ctx, "update csv_imports set created_at = now() - interval '8 days' where id = $1", old)
	require.NoError(t, err)
	id, err := env.DB.CreateCSVImport(ctx, org, user, up)
	require.NoError(t, err)
	abandoned, err := env.DB.CSVImport(ctx, org, in.ID, old)
	require.NoError(t, err)
	require.Equal(t, store.ImportFailed, abandoned.Status)
	data, err := env.DB.CSVImportData(ctx, org, in.ID, old)
	require.NoError(t, err)
	require.Nil(t, data)

	require.NoError(t, env.DB.QueueCSVImport(ctx, org, user, in.ID, id, up.Mapping, func(pgx.Tx) error { return nil }))
	require.ErrorIs(t, env.DB.QueueCSVImport(ctx, org, user, in.ID, id, up.Mapping, nil), store.ErrConflict)
	require.ErrorIs(t, env.DB.SaveCSVImportMapping(ctx, org, in.ID, id, up.Mapping), store.ErrConflict)
	w, err := env.DB.StartCSVImport(ctx, org, id)
	require.NoError(t, err)
	require.Equal(t, store.ImportRunning, w.Status)
	for batch := range 3 {
		p := store.ImportProgress{Rows: 200, Created: 150, Unchanged: 30}
		for i := range 200 {
			p.Errors = append(p.Errors, store.ImportRowError{Line: batch*200 + i + 2, Message: "bad"})
		}
		require.NoError(t, env.DB.WriteOrg(ctx, org, func(tx pgx.Tx) error { return env.DB.AddImportProgress(ctx, tx, id, p) }))
	}
	got, err := env.DB.CSVImport(ctx, org, in.ID, id)
	require.NoError(t, err)
	require.Equal(t, []int{600, 450, 90, 600}, []int{got.Processed, got.Created, got.Unchanged, got.ErrorRows})
	require.Len(t, got.Errors, store.MaxImportErrors, "the first 500 errors are kept")
	require.Equal(t, 2, got.Errors[0].Line, "errors keep file order")
	require.Equal(t, 501, got.Errors[store.MaxImportErrors-1].Line)
}
