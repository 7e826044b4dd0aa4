package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a := &tokenAuth{secret: []byte("s3cret"), ttl: time.Minute, now: func() time.Time { return now }}
	tok, exp, err := a.issue("ada")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(time.Minute)) {
		t.Fatalf("expiry %v", exp)
	}
	if name, err := a.verify(tok); err != nil || name != "ada" {
		t.Fatalf("verify: %q %v", name, err)
	}
	for _, tc := range []struct {
		name, token, want string
	}{
		{"missing", "", errAuthRequired},
		{"garbage", "not.a.jwt", errInvalidToken},
		{"forged", mustSign(t, jwt.SigningMethodHS256, "other", jwt.MapClaims{"sub": "ada", "exp": now.Add(time.Hour).Unix()}), errInvalidToken},
		{"alg none", mustSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "ada", "exp": now.Add(time.Hour).Unix()}), errInvalidToken},
		{"other HMAC alg", mustSign(t, jwt.SigningMethodHS512, "s3cret", jwt.MapClaims{"sub": "ada", "exp": now.Add(time.Hour).Unix()}), errInvalidToken},
		{"no expiry", mustSign(t, jwt.SigningMethodHS256, "s3cret", jwt.MapClaims{"sub": "ada"}), errInvalidToken},
		{"no subject", mustSign(t, jwt.SigningMethodHS256, "s3cret", jwt.MapClaims{"exp": now.Add(time.Hour).Unix()}), errInvalidToken},
		{"expired", mustSign(t, jwt.SigningMethodHS256, "s3cret", jwt.MapClaims{"sub": "ada", "exp": now.Add(-time.Second).Unix()}), errTokenExpired},
	} {
		if _, err := a.verify(tc.token); err == nil || err.Error() != tc.want {
			t.Errorf("%s token: got %v, want %q", tc.name, err, tc.want)
		}
	}
	now = now.Add(2 * time.Minute)
	if _, err := a.verify(tok); err == nil || err.Error() != errTokenExpired {
		t.Fatalf("token past its ttl: %v", err)
	}
}

func mustSign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	if s, ok := key.(string); ok {
		key = []byte(s)
	}
	tok, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLoginHandler(t *testing.T) {
	a := &tokenAuth{secret: []byte("s3cret"), ttl: time.Hour, now: time.Now}
	post := func(method, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		a.handleLogin(rec, httptest.NewRequest(method, "/api/login", strings.NewReader(body)))
		return rec
	}
	rec := post(http.MethodPost, `{"username":"  ada  "}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out struct {
		Token     string `json:"token"`
		ExpiresAt int64  `json:"expiresAt"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if name, err := a.verify(out.Token); err != nil || name != "ada" {
		t.Fatalf("issued token: %q %v", name, err)
	}
	if out.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("expiresAt %d", out.ExpiresAt)
	}
	for _, body := range []string{`{"username":""}`, `{"username":"   "}`, `not json`, `{"username":"` + strings.Repeat("x", 33) + `"}`} {
		if rec := post(http.MethodPost, body); rec.Code != http.StatusBadRequest {
			t.Errorf("body %q: status %d", body, rec.Code)
		}
	}
	if rec := post(http.MethodGet, ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", rec.Code)
	}
}
