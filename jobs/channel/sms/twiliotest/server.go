// Package twiliotest is an HTTP fake of the Twilio Messages API for tests and benchmarks. It
// speaks Twilio's format: POST /2010-04-01/Accounts/{sid}/Messages.json with a form body
// (To, From or MessagingServiceSid, Body) and HTTP Basic authentication; 201 with the message
// resource as JSON; errors as {code, message, more_info, status} (20003 bad credentials, 21211
// invalid To, 21602 missing Body, 20429 too many requests).
package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Message is one accepted message.
type Message struct {
	SID, AccountSID, To, From, Body string
	ReceivedAt                      time.Time
}

// Server is a running fake.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	accounts map[string]string // sid -> auth token
	messages []Message
	failNext []int
	requests int
}

var (
	pathRe = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
	e164Re = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// New starts a fake that knows one account.
func New(accountSID, authToken string) *Server {
	s := &Server{accounts: map[string]string{accountSID: authToken}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddAccount lets another account authenticate.
func (s *Server) AddAccount(sid, token string) {
	s.mu.Lock()
	s.accounts[sid] = token
	s.mu.Unlock()
}

// FailNext answers the next requests with these statuses (Twilio error bodies), in order.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	s.failNext = append(s.failNext, statuses...)
	s.mu.Unlock()
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg,
		"more_info": "https://www.twilio.com/docs/errors/" + itoa(code), "status": status})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	if len(s.failNext) > 0 {
		status := s.failNext[0]
		s.failNext = s.failNext[1:]
		s.mu.Unlock()
		code := 20500
		if status == http.StatusTooManyRequests {
			code = 20429
		}
		writeErr(w, status, code, "failing on purpose")
		return
	}
	s.mu.Unlock()
	m := pathRe.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || m == nil {
		writeErr(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	token, known := s.accounts[user]
	s.mu.Unlock()
	if !ok || !known || token != pass || user != m[1] {
		writeErr(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeErr(w, http.StatusBadRequest, 20001, "Expected a form body")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeErr(w, http.StatusBadRequest, 20001, "Unreadable form")
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	switch {
	case !e164Re.MatchString(to):
		writeErr(w, http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
		return
	case from == "" && r.PostForm.Get("MessagingServiceSid") == "":
		writeErr(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
		return
	case body == "":
		writeErr(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	msg := Message{SID: "SM" + hex.EncodeToString(b), AccountSID: user, To: to, From: from, Body: body, ReceivedAt: time.Now()}
	s.mu.Lock()
	s.messages = append(s.messages, msg)
	s.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC1123Z)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": msg.SID, "account_sid": user, "to": to, "from": from, "body": body, "status": "queued",
		"num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now,
		"date_updated": now, "date_sent": nil, "price": nil, "error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + user + "/Messages/" + msg.SID + ".json",
	})
}

// Messages returns the accepted messages in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts every request, refused ones included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
