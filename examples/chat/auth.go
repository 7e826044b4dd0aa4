package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// Messages a refused client reads in connect_error's err.message.
const (
	errAuthRequired = "authentication required"
	errInvalidToken = "invalid token"
	errTokenExpired = "token expired"
)

// tokenAuth issues and checks signed tokens (HS256 JWTs) that carry a username.
type tokenAuth struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// claims are what a chat token says: who the user is, and until when.
type claims struct {
	jwt.RegisteredClaims
}

func (a *tokenAuth) issue(username string) (string, time.Time, error) {
	exp := a.now().Add(a.ttl)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{jwt.RegisteredClaims{
		Subject:   username,
		IssuedAt:  jwt.NewNumericDate(a.now()),
		ExpiresAt: jwt.NewNumericDate(exp),
	}})
	s, err := tok.SignedString(a.secret)
	return s, exp, err
}

// verify returns the username in a valid token, or an error whose message is one of the
// connect_error messages above.
func (a *tokenAuth) verify(token string) (string, error) {
	if token == "" {
		return "", errors.New(errAuthRequired)
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(a.now),
		jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", errors.New(errTokenExpired)
	case err != nil || c.Subject == "":
		return "", errors.New(errInvalidToken)
	}
	return c.Subject, nil
}

// validUsername reports whether name is a usable display name.
func validUsername(name string) bool {
	name = strings.TrimSpace(name)
	return name != "" && utf8.RuneCountInString(name) <= 32
}

// handleLogin answers POST /api/login {"username": "..."} with a token for that name.
func (a *tokenAuth) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	var req struct {
		Username string `json:"username"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || !validUsername(req.Username) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "username must be 1 to 32 characters"})
		return
	}
	tok, exp, err := a.issue(strings.TrimSpace(req.Username))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not issue a token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expiresAt": exp.UnixMilli()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
