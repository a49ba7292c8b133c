// Package storetest gives tests a real PostgreSQL: one private cluster per test binary (started
// by store/localpg), a migrated template database, and a fresh clone of it for every test,
// connected as the non-privileged app role.
package storetest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/localpg"
)

const templateDB = "wedsync_template"

// suite is the cluster shared by the tests of one test binary; Main sets it before any test runs.
var suite struct {
	cluster *localpg.Cluster
	counter atomic.Int64
}

// Main starts the cluster, migrates the template, runs the tests and stops the cluster.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	c, err := localpg.Start(ctx, localpg.Options{Throwaway: true, MaxConnections: 400})
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	suite.cluster = c
	err = prepareTemplate(ctx, c)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		_ = c.Stop()
		return 1
	}
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
	}
	return code
}

func prepareTemplate(ctx context.Context, c *localpg.Cluster) error {
	admin, err := pgxpool.New(ctx, c.URL("postgres", localpg.SuperUser))
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "create database "+templateDB); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	owner, err := pgxpool.New(ctx, c.URL(templateDB, localpg.SuperUser))
	if err != nil {
		return err
	}
	defer owner.Close()
	if _, err := migrations.Apply(ctx, owner, ""); err != nil {
		return err
	}
	return nil
}

// Env is one test's database.
type Env struct {
	// DB is the store connected as the app role (row level security applies).
	DB *store.DB
	// Admin is a superuser pool on the same database, for set-up and inspection only.
	Admin *pgxpool.Pool
	// AppURL and AdminURL are the connection strings of the two.
	AppURL, AdminURL string
	// Cluster is the shared cluster (for chaos tests that restart it).
	Cluster *localpg.Cluster
	// Name is the database name.
	Name string
}

// New creates a fresh migrated database for t and closes it when t ends.
func New(t testing.TB) *Env {
	t.Helper()
	if suite.cluster == nil {
		t.Fatal("storetest: call storetest.Main from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), suite.counter.Add(1))
	c := suite.cluster
	root, err := pgxpool.New(ctx, c.URL("postgres", localpg.SuperUser))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Exec(ctx, fmt.Sprintf("create database %s template %s", name, templateDB)); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	env := &Env{Cluster: c, Name: name, AppURL: c.URL(name, migrations.AppRole), AdminURL: c.URL(name, localpg.SuperUser)}
	env.Admin, err = pgxpool.New(ctx, env.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	env.DB, err = store.Open(ctx, env.AppURL, store.Options{MaxConns: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.DB.Close()
		env.Admin.Close()
		root, err := pgxpool.New(context.Background(), c.URL("postgres", localpg.SuperUser))
		if err == nil {
			_, _ = root.Exec(context.Background(), fmt.Sprintf("drop database if exists %s with (force)", name))
			root.Close()
		}
	})
	return env
}

// NewOrg signs up an organization with an owner and returns their ids.
func (e *Env) NewOrg(t testing.TB, name, timezone, currency string) (orgID, userID int64) {
	t.Helper()
	email := fmt.Sprintf("owner%d@%s.test", suite.counter.Add(1), "example")
	orgID, userID, err := e.DB.Signup(context.Background(), store.SignupInput{
		OrgName: name, Timezone: timezone, Currency: currency, Email: email, Name: "Owner", Password: "correct-horse",
	})
	if err != nil {
		t.Fatalf("storetest: signup: %v", err)
	}
	return orgID, userID
}
