# Parley's build and test entry points. `make test` runs every test; CI runs exactly that.
SHELL   := /bin/bash
GO      ?= go
SHARED  ?= $(abspath $(CURDIR)/../shared)
CACHE   ?= $(CURDIR)/.cache
BIN     := $(CACHE)/bin

export SHARED CACHE BIN

.PHONY: test check unit

## test: every test (static checks, Go unit tests with -race and fuzz seed corpora, end-to-end)
test: check unit

## check: gofmt and go vet
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files -o --exclude-standard '*.go' 2>/dev/null)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: Go tests with the race detector; fuzz targets run their seed corpora
unit:
	$(GO) test -race -count=1 ./...
