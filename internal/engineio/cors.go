package engineio

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS as Node's cors package answers it with engine.io's options: every response gets the
// allowed origin (and Vary: Origin when it depends on the request), the credentials flag and
// the exposed headers; a preflight (OPTIONS) also gets the methods, headers and max age and
// is answered 204 with no body.

const defaultCORSMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"

// applyCORS sets the CORS headers of r's response; it reports true when it has answered a
// preflight.
func applyCORS(c *CORSOptions, w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	origin := r.Header.Get("Origin")
	switch {
	case c.AllowOrigin != nil:
		h.Add("Vary", "Origin")
		if origin != "" && c.AllowOrigin(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	case slices.Contains(c.Origins, "*") && !c.Credentials:
		h.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(c.Origins, "*"):
		h.Add("Vary", "Origin")
		if origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	default:
		h.Add("Vary", "Origin")
		if origin != "" && slices.Contains(c.Origins, origin) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	}
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions {
		if len(c.ExposedHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposedHeaders, ","))
		}
		return false
	}
	methods := defaultCORSMethods
	if len(c.Methods) > 0 {
		methods = strings.Join(c.Methods, ",")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if len(c.AllowedHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowedHeaders, ","))
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Headers", req)
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}
