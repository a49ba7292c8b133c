package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// operatorApp starts the app with the job console and an operator organization whose owner
// signs in with the returned email and password "correct-horse".
func operatorApp(t *testing.T) (app *webtest.App, operatorOrg int64, ownerEmail string) {
	ownerEmail = "operator@example.test"
	app = webtest.New(t, webtest.Options{
		Setup: func(t testing.TB, env *storetest.Env) {
			var err error
			operatorOrg, _, err = env.DB.Signup(context.Background(), store.SignupInput{OrgName: "WedSync Operations",
				Timezone: "UTC", Currency: "USD", Email: ownerEmail, Name: "Op", Password: "correct-horse"})
			require.NoError(t, err)
		},
		Web: func(t testing.TB, d *handlers.Deps, runner *jobs.Runner) {
			console, err := handlers.NewJobConsole(t.Context(), runner.Client, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			d.JobConsole = console
			d.Config.OperatorOrgID = operatorOrg
		},
	})
	return app, operatorOrg, ownerEmail
}

// TestJobConsoleOnlyForOperatorOwners: the operator organization's owner gets River's console and
// its API; an owner of another organization and an admin of the operator organization get the
// same 404 as an unknown address; anonymous visitors are sent to the login page.
func TestJobConsoleOnlyForOperatorOwners(t *testing.T) {
	t.Parallel()
	app, opOrg, email := operatorApp(t)
	owner := app.Client(t)
	owner.Login(email, "correct-horse")

	p := owner.Get("/admin/jobs")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "River", p.Doc.Find("title").Text())
	require.Contains(t, p.Doc.Find("#config__json").Text(), `"/admin/jobs/api"`, "the console calls its API under the mount point")
	require.Contains(t, p.Header.Get("Content-Security-Policy"), "script-src 'self'")
	script, ok := p.Doc.Find(`script[type="module"]`).Attr("src")
	require.True(t, ok)
	require.True(t, strings.HasPrefix(script, "/admin/jobs/"), script)
	require.Equal(t, http.StatusOK, owner.Get(script).Status, "the console's script is served")
	api := owner.Get("/admin/jobs/api/queues")
	require.Equal(t, http.StatusOK, api.Status, api.Body)
	require.Contains(t, api.Body, `"metrics"`, "the API lists WedSync's queues")

	unknown := app.SignupOwner(t, "Elsewhere Events", "UTC", "USD")
	notFound := unknown.Get("/no/such/page")
	require.Equal(t, http.StatusNotFound, notFound.Status)
	admin := app.AddMember(t, opOrg, store.RoleAdmin)
	for who, c := range map[string]*webtest.Client{"another org's owner": unknown.Client, "operator org admin": admin} {
		for _, path := range []string{"/admin/jobs", "/admin/jobs/api/queues", script} {
			p := c.Get(path)
			require.Equalf(t, http.StatusNotFound, p.Status, "%s GET %s", who, path)
			require.Equalf(t, notFound.Text("main"), p.Text("main"), "%s sees the ordinary not-found page at %s", who, path)
		}
	}

	anon := app.Client(t)
	p = anon.Get("/admin/jobs")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login?next=%2Fadmin%2Fjobs", p.Location())
}

// TestJobConsoleRefusesCrossSiteChanges: the console's JSON API carries no CSRF token, so a
// state change must come from this origin; a cross-site POST with the operator's cookies is
// refused and the job stays scheduled, while the console's own same-origin call cancels it.
func TestJobConsoleRefusesCrossSiteChanges(t *testing.T) {
	t.Parallel()
	app, opOrg, email := operatorApp(t)
	owner := app.Client(t)
	owner.Login(email, "correct-horse")
	ctx := context.Background()
	res, err := app.Jobs.Client.Insert(ctx, jobs.RecomputeArgs{OrgID: opOrg}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	id := res.Job.ID
	cancelJob := func(headers map[string]string) *webtest.Page {
		req, err := http.NewRequest(http.MethodPost, app.URL+"/admin/jobs/api/jobs/cancel",
			strings.NewReader(fmt.Sprintf(`{"ids":["%d"]}`, id)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return owner.Do(req)
	}
	state := func() rivertype.JobState {
		j, err := app.Jobs.Client.JobGet(ctx, id)
		require.NoError(t, err)
		return j.State
	}

	for name, h := range map[string]map[string]string{
		"cross-site fetch":      {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"old browser elsewhere": {"Origin": "https://evil.example"},
		"no origin at all":      {},
	} {
		p := cancelJob(h)
		require.Equalf(t, http.StatusForbidden, p.Status, "%s: %s", name, p.Body)
		require.Equalf(t, rivertype.JobStateScheduled, state(), "%s left the job alone", name)
	}

	p := cancelJob(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": app.URL})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, rivertype.JobStateCancelled, state())
}
