// Package archtest keeps the module's import graph pointing one way:
// examples -> socketio/... -> internal/..., with no Redis in the core and no example
// dependencies (database drivers, JWT) in the library.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/parley-go/parley"

// forbidden reports why the import from -> to breaks the layering, or "".
func forbidden(from, to string) string {
	rel := func(p string) string { return strings.TrimPrefix(p, module+"/") }
	f, t := rel(from), rel(to)
	inModule := func(p string) bool { return strings.HasPrefix(p, module) }
	isLibrary := strings.HasPrefix(f, "socketio") ||
		(strings.HasPrefix(f, "internal/") && !strings.HasPrefix(f, "internal/conformance") &&
			!strings.HasPrefix(f, "internal/bench") && !strings.HasPrefix(f, "internal/e2e"))
	switch {
	case inModule(to) && strings.HasPrefix(t, "examples"):
		return "nothing imports the examples"
	case strings.HasPrefix(f, "internal/") && isLibrary && inModule(to) && strings.HasPrefix(t, "socketio"):
		return "internal packages sit below socketio"
	case f == "socketio" && (strings.HasPrefix(t, "socketio/redisadapter") || strings.HasPrefix(t, "socketio/sse")):
		return "the core package does not depend on its optional parts"
	case isLibrary && !strings.HasPrefix(f, "socketio/redisadapter") && strings.HasPrefix(to, "github.com/redis/"):
		return "only socketio/redisadapter talks to Redis"
	case isLibrary && (strings.HasPrefix(to, "modernc.org/") || strings.HasPrefix(to, "github.com/golang-jwt/")):
		return "the example's dependencies stay out of the library"
	}
	return ""
}

func TestImportLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, imp := range fields[1:] {
			if why := forbidden(fields[0], imp); why != "" {
				t.Errorf("%s imports %s: %s", fields[0], imp, why)
			}
		}
	}
}

func TestRulesCatchViolations(t *testing.T) {
	bad := [][2]string{
		{module + "/internal/engineio", module + "/socketio"},
		{module + "/socketio", module + "/socketio/redisadapter"},
		{module + "/socketio", "github.com/redis/go-redis/v9"},
		{module + "/socketio", module + "/examples/chat"},
		{module + "/internal/engineio", "modernc.org/sqlite"},
	}
	for _, b := range bad {
		if forbidden(b[0], b[1]) == "" {
			t.Errorf("%s -> %s was allowed", b[0], b[1])
		}
	}
	good := [][2]string{
		{module + "/socketio", module + "/internal/engineio"},
		{module + "/socketio/redisadapter", "github.com/redis/go-redis/v9"},
		{module + "/examples/chat", "modernc.org/sqlite"},
		{module + "/internal/conformance/socketio", module + "/socketio"},
	}
	for _, g := range good {
		if why := forbidden(g[0], g[1]); why != "" {
			t.Errorf("%s -> %s refused: %s", g[0], g[1], why)
		}
	}
}
