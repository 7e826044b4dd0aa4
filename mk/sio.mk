# Socket.IO end-to-end targets: the official socket.io-protocol suite (suite-sio) and the Node
# tests with the official socket.io-client 4.x and 2.x (e2e-sio).

SIO_SUITE_SRC := $(SHARED)/protocol-suites/socket.io-protocol/test-suite
SIO_SUITE     := $(CACHE)/sio-suite
SIO_PRELOAD   := $(SHARED)/tools/browser-like-ws.cjs
SIO_PORT_LOCK := /tmp/parley-port3000.lock
# SIO_SUITE_RUNS: how many times in a row suite-sio runs the suite (each run must pass)
SIO_SUITE_RUNS ?= 3

E2E_TARGETS += suite-sio e2e-sio

.PHONY: suite-sio e2e-sio sio-suite-install

## sio-suite-install: copy the official suite to the cache and install its packages (once)
sio-suite-install: $(SIO_SUITE)/node_modules/.installed
$(SIO_SUITE)/node_modules/.installed: $(SIO_SUITE_SRC)/package-lock.json
	@mkdir -p $(SIO_SUITE)
	cp -r $(SIO_SUITE_SRC)/. $(SIO_SUITE)/
	chmod -R u+w $(SIO_SUITE)
	cd $(SIO_SUITE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## suite-sio: the official Socket.IO protocol suite against internal/conformance/socketio on
## localhost:3000 under the shared port lock, $(SIO_SUITE_RUNS) runs in a row
suite-sio: sio-suite-install
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/socketio ./internal/conformance/socketio
	flock $(SIO_PORT_LOCK) bash -c '\
	  set -u; log=$(CACHE)/sio-suite-server.log; \
	  PORT=3000 $(BIN)/socketio > $$log 2>&1 & pid=$$!; \
	  for i in $$(seq 1 100); do grep -q listening $$log && break; \
	    kill -0 $$pid 2>/dev/null || { cat $$log; exit 1; }; sleep 0.05; done; \
	  rc=0; cd $(SIO_SUITE); \
	  for run in $$(seq 1 $(SIO_SUITE_RUNS)); do \
	    echo "suite-sio: run $$run of $(SIO_SUITE_RUNS)"; \
	    SUITE_DIR=$(SIO_SUITE) npx mocha --require $(SIO_PRELOAD) test-suite.js || { rc=1; break; }; \
	  done; \
	  kill $$pid; wait $$pid; \
	  [ $$rc -eq 0 ] || { echo "server log:"; tail -50 $$log; }; exit $$rc'

## e2e-sio: node:test files of internal/e2e/socketio with the official socket.io-client
e2e-sio: npm-e2e bins
	cd internal/e2e && node --test --test-concurrency=1 --test-timeout=60000 socketio/
