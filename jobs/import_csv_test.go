package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

type importFixture struct {
	env    *storetest.Env
	runner *jobs.Runner
	org    int64
	user   int64
	integ  store.Integration
}

func newImportFixture(t *testing.T) *importFixture {
	t.Helper()
	f := &importFixture{env: storetest.New(t)}
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	f.runner, err = jobs.New(f.env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: keys,
		Sync: jobs.SyncConfig{ScheduleEvery: time.Hour}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, f.runner.Start(ctx))
	t.Cleanup(func() {
		stop, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = f.runner.Stop(stop)
		cancel()
	})
	f.org, f.user = f.env.NewOrg(t, "Import Studio", "UTC", "USD")
	f.integ, err = f.env.DB.CreateIntegration(ctx, f.org, f.user, keys, store.IntegrationInput{Provider: "honeybook", Name: "HoneyBook"})
	require.NoError(t, err)
	return f
}

// upload stores a file with its guessed mapping, as the upload form does.
func (f *importFixture) upload(t *testing.T, data string) (int64, map[string]int) {
	t.Helper()
	tab, err := csvimport.Parse(strings.NewReader(data))
	require.NoError(t, err)
	m := map[string]int{}
	for k, v := range csvimport.Guess(tab.Header, csvimport.HoneyBook()) {
		m[string(k)] = v
	}
	id, err := f.env.DB.CreateCSVImport(context.Background(), f.org, f.user, store.NewCSVImport{IntegrationID: f.integ.ID,
		Filename: "x.csv", Data: []byte(data), Header: tab.Header, Mapping: m, TotalRows: len(tab.Rows)})
	require.NoError(t, err)
	return id, m
}

func (f *importFixture) wait(t *testing.T, id int64) store.CSVImport {
	t.Helper()
	var imp store.CSVImport
	require.Eventually(t, func() bool {
		var err error
		imp, err = f.env.DB.CSVImport(context.Background(), f.org, f.integ.ID, id)
		require.NoError(t, err)
		return imp.Done()
	}, 60*time.Second, 20*time.Millisecond)
	return imp
}

func rowsCSV(n int, projectID func(i int) string) string {
	var b strings.Builder
	b.WriteString("Project ID,Client Name,Client Email,Project Stage,Inquiry Date,Project Date,Total Project Value\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,Client %d,c%d@example.com,Booked,2026-01-01,2027-06-12,1000\n", projectID(i), i, i)
	}
	return b.String()
}

// TestImportResumesAfterTheLastCommittedBatch: an import whose job stopped after two batches
// continues from the third (the rows before are not read again) and ends with the file's total.
func TestImportResumesAfterTheLastCommittedBatch(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	ctx := context.Background()
	id, m := f.upload(t, rowsCSV(450, func(i int) string { return fmt.Sprintf("P-%d", i) }))
	_, err := f.env.Admin.Exec(ctx, "update csv_imports set processed_rows = $2 where id = $1", id, 2*jobs.ImportBatch)
	require.NoError(t, err)
	require.NoError(t, f.runner.RequestCSVImport(ctx, f.org, f.user, f.integ.ID, id, m))
	imp := f.wait(t, id)
	require.Equal(t, store.ImportSucceeded, imp.Status)
	require.Equal(t, 450, imp.Processed)
	require.Equal(t, 450-2*jobs.ImportBatch, imp.Created)
	var n int
	var minID string
	require.NoError(t, f.env.Admin.QueryRow(ctx, `select count(*), min(external_id) from inquiries where integration_id = $1
		and external_id in ('P-0', 'P-399', 'P-400', 'P-449')`, f.integ.ID).Scan(&n, &minID))
	require.Equal(t, 2, n, "only rows 401 and up were imported")
	require.Equal(t, "P-400", minID)
	var data []byte
	require.NoError(t, f.env.Admin.QueryRow(ctx, "select data from csv_imports where id = $1", id).Scan(&data))
	require.Nil(t, data, "the uploaded bytes are dropped once the import finished")
	require.ErrorIs(t, f.runner.RequestCSVImport(ctx, f.org, f.user, f.integ.ID, id, m), store.ErrConflict, "an import runs once")
}

// TestImportRowTheDatabaseRefusesIsReportedAlone: a row PostgreSQL refuses (here a trigger
// raises for project P-2, as a constraint would) fails its batch's transaction; the batch is written again row by row, so that row is
// reported with its line and every other row is imported.
func TestImportRowTheDatabaseRefusesIsReportedAlone(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	ctx := context.Background()
	_, err := f.env.Admin.Exec(ctx, `create function refuse_p2() returns trigger language plpgsql as $$
		begin if new.external_id = 'P-2' then raise exception 'refused by the database'; end if; return new; end $$;
		create trigger refuse_p2 before insert on inquiries for each row execute function refuse_p2()`)
	require.NoError(t, err)
	id, m := f.upload(t, rowsCSV(5, func(i int) string { return fmt.Sprintf("P-%d", i) }))
	require.NoError(t, f.runner.RequestCSVImport(ctx, f.org, f.user, f.integ.ID, id, m))
	imp := f.wait(t, id)
	require.Equal(t, store.ImportSucceeded, imp.Status)
	require.Equal(t, 4, imp.Created)
	require.Equal(t, 1, imp.ErrorRows)
	require.Len(t, imp.Errors, 1)
	require.Equal(t, 4, imp.Errors[0].Line, "the third data row is line 4")
	require.Contains(t, imp.Errors[0].Message, "refused by the database")
	var n int
	require.NoError(t, f.env.Admin.QueryRow(ctx, "select count(*) from bookings where integration_id = $1", f.integ.ID).Scan(&n))
	require.Equal(t, 4, n)
}
