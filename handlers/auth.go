package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) home(c echo.Context) error {
	if viewerOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/dashboard")
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) signupForm(c echo.Context) error {
	f := views.SignupForm{Timezone: "America/New_York", Currency: "USD"}
	return render(c, http.StatusOK, views.SignupPage(s.page(c, "Sign up", ""), f, nil))
}

func (s *Server) signup(c echo.Context) error {
	in := store.SignupInput{
		OrgName: c.FormValue("org_name"), Timezone: c.FormValue("timezone"), Currency: c.FormValue("currency"),
		Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password"),
	}
	orgID, userID, err := s.db.Signup(c.Request().Context(), in)
	if errs, ok := formErrors(err); ok {
		f := views.SignupForm{OrgName: in.OrgName, Timezone: in.Timezone, Currency: in.Currency, Name: in.Name, Email: in.Email}
		return render(c, http.StatusUnprocessableEntity, views.SignupPage(s.page(c, "Sign up", ""), f, errs))
	} else if err != nil {
		return err
	}
	if err := s.startSession(c, userID, orgID); err != nil {
		return err
	}
	s.flash(c, "Welcome to WedSync. Your organization is ready.")
	return redirect(c, "/dashboard")
}

func (s *Server) loginForm(c echo.Context) error {
	if viewerOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return render(c, http.StatusOK, views.LoginPage(s.page(c, "Log in", ""), "", nil, s.cfg.Demo))
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email, password := c.FormValue("email"), c.FormValue("password")
	fail := func(status int, errs views.FormErrors) error {
		return render(c, status, views.LoginPage(s.page(c, "Log in", ""), email, errs, s.cfg.Demo))
	}
	if email == "" || password == "" {
		errs := views.FormErrors{}
		if email == "" {
			errs["email"] = "Enter your email."
		}
		if password == "" {
			errs["password"] = "Enter your password."
		}
		return fail(http.StatusUnprocessableEntity, errs)
	}
	u, err := s.db.Authenticate(ctx, email, password)
	switch {
	case errors.Is(err, store.ErrThrottled):
		return fail(http.StatusTooManyRequests, views.FormErrors{"": "Too many failed logins for this email. Wait 15 minutes and try again."})
	case errors.Is(err, store.ErrBadCredentials):
		return fail(http.StatusUnauthorized, views.FormErrors{"": "That email and password do not match an account."})
	case err != nil:
		return err
	}
	ms, err := s.db.Memberships(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return fail(http.StatusForbidden, views.FormErrors{"": "Your account does not belong to any organization. Ask an admin for an invite link."})
	}
	if err := s.startSession(c, u.ID, ms[0].OrgID); err != nil {
		return err
	}
	return redirect(c, safeNext(c.QueryParam("next")))
}

func (s *Server) logout(c echo.Context) error {
	if err := s.sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	return redirect(c, "/login")
}

// startSession renews the session token (against fixation) and signs the user in.
func (s *Server) startSession(c echo.Context, userID, orgID int64) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, userID)
	s.sessions.Put(ctx, sessOrgID, orgID)
	return nil
}

// formErrors turns a store validation error into inline messages.
func formErrors(err error) (views.FormErrors, bool) {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	return views.FormErrors(ve.Fields), true
}
