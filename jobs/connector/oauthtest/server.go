// Package oauthtest is a fake OAuth2 authorization server for tests and the demo: an authorize
// endpoint that approves at once and redirects back with a code, and a token endpoint that
// checks the client credentials, PKCE (S256) and the redirect URI, issues short-lived access
// tokens and refresh tokens, and refuses revoked refresh tokens with invalid_grant (RFC 6749
// section 5.2). Provider fakes (googletest...) use Server.Bearer to check the access tokens their
// API receives.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is the fake authorization server. Create it with New.
type Server struct {
	mu           sync.Mutex
	clientID     string
	clientSecret string
	accessTTL    time.Duration
	now          func() time.Time
	codes        map[string]grant
	access       map[string]time.Time // access token → expiry
	refresh      map[string]bool      // refresh token → still valid
	authorizes   []url.Values
	issued       []string
	exchanges    int
	refreshes    int
}

// grant is an issued authorization code waiting for its exchange.
type grant struct {
	redirectURI, challenge, scope string
	expires                       time.Time
}

// New makes a server for one registered client. Access tokens live an hour unless
// SetAccessTTL says otherwise.
func New(clientID, clientSecret string) *Server {
	return &Server{clientID: clientID, clientSecret: clientSecret, accessTTL: time.Hour, now: time.Now,
		codes: map[string]grant{}, access: map[string]time.Time{}, refresh: map[string]bool{}}
}

// Start serves the fake on a loopback port until stop is called; url has no trailing slash.
// The endpoints are url+AuthorizePath and url+TokenPath.
func (s *Server) Start() (url string, stop func()) {
	srv := httptest.NewServer(s)
	return srv.URL, srv.Close
}

// Endpoint paths.
const (
	AuthorizePath = "/o/oauth2/auth"
	TokenPath     = "/token"
)

// SetAccessTTL changes the lifetime of access tokens issued from now on. Below ten seconds,
// golang.org/x/oauth2 treats a token as expired at once and refreshes before every use.
func (s *Server) SetAccessTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessTTL = d
}

// RevokeRefreshTokens revokes every refresh token issued so far (the user removed the app's
// access): refreshing answers invalid_grant.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.refresh {
		s.refresh[t] = false
	}
}

// Authorizations are the query parameters of every authorization request received, in order.
func (s *Server) Authorizations() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.authorizes...)
}

// Counts says how many codes were exchanged and how many refreshes were granted.
func (s *Server) Counts() (exchanges, refreshes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exchanges, s.refreshes
}

// AccessTokens are the access tokens the token endpoint issued, oldest first.
func (s *Server) AccessTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// Bearer reports whether r carries a valid, unexpired access token in its Authorization header.
func (s *Server) Bearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.access[tok]
	return known && s.now().Before(exp)
}

// IssueTokens grants a fresh access and refresh token without the browser flow, for tests of a
// provider's API fake that do not exercise the authorization itself.
func (s *Server) IssueTokens() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh = "ya29.at_"+random(), "1//rt_"+random()
	s.access[access] = s.now().Add(s.accessTTL)
	s.refresh[refresh] = true
	return access, refresh
}

// ServeHTTP routes the authorize and token endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case AuthorizePath:
		s.authorize(w, r)
	case TokenPath:
		s.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authorize approves the request (as a user clicking Allow would) and redirects back.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.authorizes = append(s.authorizes, q)
	s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.clientID:
		http.Error(w, "invalid_client: unknown client_id", http.StatusBadRequest)
		return
	case err != nil || redirect.Scheme == "" || redirect.Host == "":
		http.Error(w, "invalid_request: redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE with S256 is required")
	default:
		code := "code_" + random()
		s.mu.Lock()
		s.codes[code] = grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: q.Get("scope"),
			expires: s.now().Add(10 * time.Minute)}
		s.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token serves the authorization_code and refresh_token grants.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.clientID || secret != s.clientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code")) // single use, even when the exchange fails
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok || s.now().After(g.expires):
			tokenError(w, http.StatusBadRequest, "invalid_grant")
		case r.PostForm.Get("redirect_uri") != g.redirectURI:
			tokenError(w, http.StatusBadRequest, "invalid_grant")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			tokenError(w, http.StatusBadRequest, "invalid_grant")
		default:
			s.exchanges++
			refresh := "1//rt_" + random()
			s.refresh[refresh] = true
			s.issue(w, refresh, g.scope)
		}
	case "refresh_token":
		if !s.refresh[r.PostForm.Get("refresh_token")] {
			tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		s.refreshes++
		s.issue(w, "", "")
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

// issue answers a new access token (and the refresh token, when one was issued); s.mu is held.
func (s *Server) issue(w http.ResponseWriter, refresh, scope string) {
	access := "ya29.at_" + random()
	s.access[access] = s.now().Add(s.accessTTL)
	s.issued = append(s.issued, access)
	body := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(s.accessTTL / time.Second)}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	if scope != "" {
		body["scope"] = scope
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
