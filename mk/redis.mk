# Redis scaling: the redis-server the Go tests and the cluster tests start for themselves,
# and the cross-server tests of internal/e2e/cluster (Node twin ×2 on one Redis, Node's
# emitter, Parley's Go emitter as the external emitter program).

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

## e2e-cluster: two cluster test servers on one Redis (SERVER_A_CMD/SERVER_B_CMD, default the Node twin), with the Go emitter
e2e-cluster: redis-server npm-cluster bins
	cd $(CLUSTER_DIR) && node --test --test-concurrency=1 --test-timeout=240000 cluster.test.mjs

E2E_TARGETS += e2e-cluster
