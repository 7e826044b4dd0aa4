# Benchmarks: Parley's benchmark server against its Node.js twin (BENCHMARKS.md).
#   make bench          every scenario, both servers interleaved, BENCH_ROUNDS rounds, full scale
#   make bench BENCH_SCALE=small BENCH_ROUNDS=1 BENCH_ONLY=echo    a quick look
#   make bench-smoke    every scenario tiny, once; fails on lost/reordered/failed handshakes
# `make bench` is not part of `make test`; bench-smoke is (an e2e target).

BENCH_SCALE  ?= full
BENCH_ROUNDS ?= 3
BENCH_ONLY   ?=
BENCH_OUT    ?= $(CURDIR)/bench-results
BENCH_FLAGS  ?=
BENCH_NODE_DIR := internal/bench/node
BENCH_SERVER_DIR := internal/bench/server

E2E_TARGETS += bench-smoke

.PHONY: bench bench-smoke bench-bins bench-npm

## bench-bins: the load tool, the runner and (once its source exists) Parley's benchmark server
bench-bins:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/loadgen ./internal/bench/loadgen
	$(GO) build -o $(BIN)/bench-runner ./internal/bench/runner
	@if [ -d $(BENCH_SERVER_DIR) ]; then \
	  echo "$(GO) build -o $(BIN)/bench-server ./$(BENCH_SERVER_DIR)"; \
	  $(GO) build -o $(BIN)/bench-server ./$(BENCH_SERVER_DIR); \
	else \
	  rm -f $(BIN)/bench-server; \
	  echo "bench: $(BENCH_SERVER_DIR) does not exist yet: skipping Parley, running the Node.js twin only"; \
	fi

## bench-npm: the Node.js twin's packages, from its committed lock file
bench-npm: $(BENCH_NODE_DIR)/node_modules/.installed
$(BENCH_NODE_DIR)/node_modules/.installed: $(BENCH_NODE_DIR)/package-lock.json
	cd $(BENCH_NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

BENCH_RUN = $(BIN)/bench-runner -loadgen $(BIN)/loadgen \
	-parley "$$(test -x $(BIN)/bench-server && echo $(BIN)/bench-server)" \
	-node "node $(BENCH_NODE_DIR)/server.js"

## bench: every scenario against Parley and Node, interleaved; medians, ratios and a chart
bench: bench-bins bench-npm
	@mkdir -p $(BENCH_OUT)
	$(BENCH_RUN) -scale $(BENCH_SCALE) -rounds $(BENCH_ROUNDS) -out $(BENCH_OUT) \
	  $(if $(BENCH_ONLY),-only $(BENCH_ONLY)) $(BENCH_FLAGS)

## bench-smoke: every scenario tiny, once per server; fails on any correctness error
bench-smoke: bench-bins bench-npm
	@mkdir -p $(ARTIFACTS)/bench-smoke
	$(BENCH_RUN) -scale smoke -out $(ARTIFACTS)/bench-smoke
