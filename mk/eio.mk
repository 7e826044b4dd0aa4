# Engine.IO end-to-end targets: the official engine.io-protocol suite (suite-eio) and the Node
# tests with the official engine.io-client (e2e-eio).

EIO_SUITE_SRC := $(SHARED)/protocol-suites/engine.io-protocol/test-suite
EIO_SUITE     := $(CACHE)/eio-suite
EIO_PRELOAD   := $(SHARED)/tools/browser-like-ws.cjs
PORT3000_LOCK := /tmp/parley-port3000.lock

E2E_TARGETS += suite-eio e2e-eio

.PHONY: suite-eio e2e-eio eio-suite-install

## eio-suite-install: copy the official suite to the cache and install its packages (once)
eio-suite-install: $(EIO_SUITE)/node_modules/.installed
$(EIO_SUITE)/node_modules/.installed: $(EIO_SUITE_SRC)/package-lock.json
	@mkdir -p $(EIO_SUITE)
	cp -r $(EIO_SUITE_SRC)/. $(EIO_SUITE)/
	cd $(EIO_SUITE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## suite-eio: the official Engine.IO protocol suite against internal/conformance/engineio,
## on localhost:3000 under the shared port lock
suite-eio: eio-suite-install
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/engineio ./internal/conformance/engineio
	flock $(PORT3000_LOCK) bash -c '\
	  set -u; \
	  $(BIN)/engineio > $(CACHE)/eio-suite-server.log 2>&1 & pid=$$!; \
	  for i in $$(seq 1 100); do grep -q listening $(CACHE)/eio-suite-server.log && break; \
	    kill -0 $$pid 2>/dev/null || { cat $(CACHE)/eio-suite-server.log; exit 1; }; sleep 0.05; done; \
	  cd $(EIO_SUITE) && SUITE_DIR=$(EIO_SUITE) npx mocha --require $(EIO_PRELOAD) test-suite.js; rc=$$?; \
	  kill $$pid; wait $$pid; exit $$rc'

## e2e-eio: node:test files of internal/e2e/engineio with the official engine.io-client
e2e-eio: npm-e2e bins
	cd internal/e2e && node --test --test-concurrency=1 --test-timeout=60000 engineio/
