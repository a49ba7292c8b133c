package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) alertChannels(c echo.Context) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	if err := s.db.EnsureAlertDefaults(ctx, v.Org.ID); err != nil {
		return err
	}
	chans, err := s.db.Channels(ctx, v.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]views.ChannelRow, len(chans))
	for i, ch := range chans {
		rows[i] = views.ChannelRow{ID: ch.ID, Name: ch.Name, Kind: string(ch.Kind), KindLabel: ch.Kind.Label(), Target: maskTarget(ch.Kind, ch.Target),
			MinSeverity: ch.MinSeverity.String(), Enabled: ch.Enabled}
		if ch.Kind == store.ChannelInApp {
			rows[i].Target = "the bell"
		}
		if ch.QuietStart != "" {
			rows[i].Quiet = ch.QuietStart + "–" + ch.QuietEnd
		}
	}
	return render(c, http.StatusOK, views.ChannelsPage(s.page(c, "Notification channels", "alerts"), rows))
}

func channelForm(ch store.Channel) views.ChannelForm {
	return views.ChannelForm{ID: ch.ID, Kind: string(ch.Kind), KindLabel: ch.Kind.Label(), Name: ch.Name, Target: ch.Target,
		MinSeverity: ch.MinSeverity.String(), QuietStart: ch.QuietStart, QuietEnd: ch.QuietEnd, TwilioSID: ch.TwilioSID,
		TwilioFrom: ch.TwilioFrom, SecretHint: ch.SecretHint, Enabled: ch.Enabled}
}

func (s *Server) newAlertChannel(c echo.Context) error {
	kind := store.ChannelKind(c.QueryParam("kind"))
	if !kind.Valid() {
		return echo.NewHTTPError(http.StatusNotFound, "There is no channel type of that name.")
	}
	f := views.ChannelForm{Kind: string(kind), KindLabel: kind.Label(), MinSeverity: store.SeverityHigh.String(), Enabled: true}
	return render(c, http.StatusOK, views.ChannelFormPage(s.page(c, "New channel", "alerts"), f, nil))
}

// parseChannelForm reads the channel form (the secret is write-only and never echoed back).
func parseChannelForm(c echo.Context, kind store.ChannelKind) (store.ChannelInput, views.ChannelForm) {
	sev, _ := store.ParseSeverity(c.FormValue("min_severity"))
	in := store.ChannelInput{Kind: kind, Name: c.FormValue("name"), Target: c.FormValue("target"), MinSeverity: sev,
		QuietStart: c.FormValue("quiet_start"), QuietEnd: c.FormValue("quiet_end"), Enabled: c.FormValue("enabled") != "",
		TwilioSID: c.FormValue("twilio_sid"), TwilioFrom: c.FormValue("twilio_from"), Secret: c.FormValue("secret")}
	f := views.ChannelForm{Kind: string(kind), KindLabel: kind.Label(), Name: in.Name, Target: in.Target,
		MinSeverity: c.FormValue("min_severity"), QuietStart: in.QuietStart, QuietEnd: in.QuietEnd,
		TwilioSID: in.TwilioSID, TwilioFrom: in.TwilioFrom, Enabled: in.Enabled}
	return in, f
}

func (s *Server) createAlertChannel(c echo.Context) error {
	v := viewerOf(c)
	kind := store.ChannelKind(c.FormValue("kind"))
	if !kind.Valid() {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Choose a channel type.")
	}
	in, f := parseChannelForm(c, kind)
	ctx := c.Request().Context()
	id, secret, err := s.db.CreateChannel(ctx, v.Org.ID, v.User.ID, s.keys, in)
	if errs, ok := formErrors(err); ok {
		return render(c, http.StatusUnprocessableEntity, views.ChannelFormPage(s.page(c, "New channel", "alerts"), f, errs))
	} else if err != nil {
		return err
	}
	if secret != "" {
		return s.renderChannel(c, id, secret, "Channel added. Copy its signing secret now.")
	}
	s.flash(c, "Channel added.")
	return redirect(c, "/alerts/channels")
}

// renderChannel shows a channel's form, with a signing secret that was generated just now.
func (s *Server) renderChannel(c echo.Context, id int64, newSecret, flash string) error {
	v := viewerOf(c)
	ch, err := s.db.Channel(c.Request().Context(), v.Org.ID, id)
	if err != nil {
		return err
	}
	f := channelForm(ch)
	f.NewSecret = newSecret
	p := s.page(c, "Edit channel", "alerts")
	if flash != "" {
		p.Flash = flash
	}
	return render(c, http.StatusOK, views.ChannelFormPage(p, f, nil))
}

func (s *Server) editAlertChannel(c echo.Context) error {
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	return s.renderChannel(c, id, "", "")
}

func (s *Server) updateAlertChannel(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.db.Channel(ctx, v.Org.ID, id)
	if err != nil {
		return err
	}
	in, f := parseChannelForm(c, old.Kind)
	f.ID, f.SecretHint = id, old.SecretHint
	err = s.db.UpdateChannel(ctx, v.Org.ID, v.User.ID, s.keys, id, in)
	if errs, ok := formErrors(err); ok {
		return render(c, http.StatusUnprocessableEntity, views.ChannelFormPage(s.page(c, "Edit channel", "alerts"), f, errs))
	} else if err != nil {
		return err
	}
	s.flash(c, "Channel saved.")
	return redirect(c, "/alerts/channels")
}

func (s *Server) rotateAlertChannelSecret(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	secret, err := s.db.RotateChannelSecret(c.Request().Context(), v.Org.ID, v.User.ID, s.keys, id)
	if err != nil {
		return err
	}
	return s.renderChannel(c, id, secret, "New signing secret generated. Copy it now.")
}

func (s *Server) deleteAlertChannel(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	if err := s.db.DeleteChannel(c.Request().Context(), v.Org.ID, v.User.ID, id); err != nil {
		return err
	}
	s.flash(c, "Channel deleted.")
	return redirect(c, "/alerts/channels")
}
