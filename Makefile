# Parley's build and test entry points. `make test` runs every test; CI (.ci/run) runs exactly
# that. Areas add their end-to-end targets in mk/*.mk by appending to E2E_TARGETS.
SHELL   := /bin/bash
GO      ?= go
SHARED  ?= $(abspath $(CURDIR)/../shared)
CACHE   ?= $(CURDIR)/.cache
BIN     := $(CACHE)/bin
ARTIFACTS ?= $(CURDIR)/test-artifacts

export SHARED CACHE BIN ARTIFACTS
export PARLEY_BIN := $(BIN)

E2E_TARGETS :=

.PHONY: test check unit e2e npm-e2e bins

## test: every test: static checks, Go unit tests (-race, fuzz seed corpora), end-to-end tests
test: check unit e2e

## check: gofmt and go vet
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files -o --exclude-standard '*.go' 2>/dev/null)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: Go tests with the race detector; fuzz targets run their seed corpora
unit:
	$(GO) test -race -count=1 -timeout 20m ./...

## bins: the Go programs the end-to-end tests run, built into $(BIN)
bins:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./internal/conformance/... $(BIN_EXTRA)

## npm-e2e: the Node packages of the end-to-end tests, from the committed lock file
npm-e2e: internal/e2e/node_modules/.installed
internal/e2e/node_modules/.installed: internal/e2e/package-lock.json
	cd internal/e2e && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

include $(wildcard mk/*.mk)

## e2e: every end-to-end test (each area's targets, from mk/*.mk)
e2e: $(E2E_TARGETS)
