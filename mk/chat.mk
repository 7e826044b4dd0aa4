# The example chat's end-to-end targets: socket.io-client tests of every row of the chat
# contract and of the exercises over websocket, polling and upgrade (e2e-chat), and the web
# page in headless Chromium (e2e-chat-browser). Each test starts its own chat, built with
# -race, on an ephemeral loopback port and stops it by PID.

CHROMIUM      ?= /usr/bin/chromium
CHAT_REF_DIR  ?= $(abspath $(CURDIR)/../scratch-chat-ref)
CHAT_SEED     := $(SHARED)/seed/websockets-realtime-communication.txt
CHAT_NODE_TEST := node --test --test-concurrency=1 --test-timeout=60000

E2E_TARGETS += e2e-chat e2e-chat-browser

.PHONY: chat-build e2e-chat e2e-chat-browser chat-chromium chat-reference-setup e2e-chat-reference

## chat-build: the example chat, with the race detector, as $(BIN)/chat
chat-build:
	@mkdir -p $(BIN)
	$(GO) build -race -o $(BIN)/chat ./examples/chat

## e2e-chat: contract rows, exercises (history, restart, SSE) and auth, with socket.io-client,
## and every row across two chats on one private redis-server (cluster.test.mjs)
e2e-chat: npm-e2e chat-build redis-server
	cd internal/e2e && $(CHAT_NODE_TEST) chat/base.test.mjs chat/exercises.test.mjs chat/auth.test.mjs chat/cluster.test.mjs

## chat-chromium: Debian's chromium, installed when missing if we are root (never downloaded
## by playwright)
chat-chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "e2e-chat-browser needs Chromium at $(CHROMIUM): run 'sudo apt-get install -y chromium'"; \
	  echo "(or set CHROMIUM=/path/to/chromium)"; exit 1; \
	fi

## e2e-chat-browser: two pages chat in headless Chromium; screenshots in $(ARTIFACTS)
e2e-chat-browser: npm-e2e chat-build chat-chromium
	@mkdir -p $(ARTIFACTS)
	cd internal/e2e && CHROMIUM=$(CHROMIUM) $(CHAT_NODE_TEST) --test-timeout=120000 chat/browser.test.mjs
	@echo "screenshots: $(ARTIFACTS)/chat-browser-*.png"

## chat-reference-setup: the Node reference chat from the seed listing, in $(CHAT_REF_DIR)
## (outside the repository), with express and socket.io installed. Not part of make test.
chat-reference-setup: $(CHAT_REF_DIR)/node_modules/.installed
$(CHAT_REF_DIR)/node_modules/.installed: $(CHAT_SEED)
	@mkdir -p $(CHAT_REF_DIR)
	sed -n '/^1\/\/ WebSockets with Socket.IO/,/^145});/p' $(CHAT_SEED) | sed -E 's/^[0-9]+//' > $(CHAT_REF_DIR)/server.js
	cd $(CHAT_REF_DIR) && { [ -f package.json ] || npm init -y >/dev/null; } && \
	  npm install --no-audit --no-fund --loglevel=error express socket.io@4.8.4
	@touch $@

## e2e-chat-reference: the contract-row tests against the Node reference, which proves the
## tests right (the rows must pass there too). Not part of make test.
e2e-chat-reference: npm-e2e chat-reference-setup
	cd internal/e2e && CHAT_SERVER_CMD="node $(CHAT_REF_DIR)/server.js" $(CHAT_NODE_TEST) chat/base.test.mjs
