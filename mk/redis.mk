# Redis scaling: the redis-server the Go tests and the cluster tests start for themselves,
# and the cross-server tests of internal/e2e/cluster (Parley's cluster server and its Node
# twin on one Redis, on the classic, sharded and streams adapters; Node's emitter and
# Parley's Go emitter as the external emitter program on the classic one).

CLUSTER_DIR := internal/e2e/cluster

.PHONY: redis-server npm-cluster e2e-cluster

## redis-server: make sure redis-server is on PATH (installs Debian's package when running as root)
redis-server:
	@if command -v redis-server >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "redis-server missing: installing Debian's redis-server"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq redis-server; } || exit 1; \
	  command -v redis-server >/dev/null 2>&1 || { echo "redis-server still missing after install"; exit 1; }; \
	else \
	  echo "redis-server is not on PATH. Install it, e.g. 'sudo apt-get install -y redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS)."; \
	  exit 1; \
	fi

# The Go tests of socketio/redisadapter start their own redis-server.
unit: redis-server

## npm-cluster: the Node packages of the cluster tests, from the committed lock file
npm-cluster: $(CLUSTER_DIR)/node_modules/.installed
$(CLUSTER_DIR)/node_modules/.installed: $(CLUSTER_DIR)/package-lock.json
	cd $(CLUSTER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

PARLEY_CLUSTER := exec $(BIN)/cluster
NODE_CLUSTER   := exec node internal/e2e/cluster/node-server.mjs
CLUSTER_TEST   := node --test --test-concurrency=1 --test-timeout=240000 cluster.test.mjs

# The pairings of e2e-cluster, as "adapter A B". The classic adapter runs all four; the
# sharded (Redis >= 7: sharded Pub/Sub) and streams adapters the two mixed ones, which are the
# point, and Node x2, the reference the suite's expectations are checked against (Parley x2
# on them is covered by the Go tests of socketio/redisadapter). About 80 s in all.
CLUSTER_PAIRINGS := "classic parley node" "classic node parley" "classic parley parley" "classic node node" \
	"sharded parley node" "sharded node parley" "sharded node node" \
	"streams parley node" "streams node parley" "streams node node"

## e2e-cluster: the cross-server suite on the classic, sharded and streams adapters: Parley beside the Node twin both ways and Node x2 as the reference (classic also Parley x2 and the emitters; streams also recovery across servers)
e2e-cluster: redis-server npm-cluster bins
	@set -e; cd $(CLUSTER_DIR); \
	v=$$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'); \
	for pair in $(CLUSTER_PAIRINGS); do \
	  set -- $$pair; \
	  if [ $$1 = sharded ] && [ "$${v:-0}" -lt 7 ]; then \
	    echo "== e2e-cluster: $$1 A=$$2 B=$$3: SKIPPED, redis-server $$v has no sharded Pub/Sub (needs 7)"; continue; \
	  fi; \
	  a=$$( [ $$2 = parley ] && echo '$(PARLEY_CLUSTER)' || echo '$(NODE_CLUSTER)' ); \
	  b=$$( [ $$3 = parley ] && echo '$(PARLEY_CLUSTER)' || echo '$(NODE_CLUSTER)' ); \
	  echo "== e2e-cluster: $$1 A=$$2 B=$$3"; \
	  REDIS_ADAPTER=$$1 SERVER_A_CMD="$$a" SERVER_B_CMD="$$b" $(CLUSTER_TEST); \
	done

E2E_TARGETS += e2e-cluster
