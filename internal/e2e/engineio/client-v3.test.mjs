// End-to-end tests of internal/engineio's protocol v3 (Options.AllowEIO3) with
// engine.io-client 3.5 (the one socket.io-client 2.x uses): polling with binary and base64
// payloads, WebSocket, upgrade; text (with non-ASCII, counted in UTF-16 units) and binary.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

import { useServer, skipUnless } from "../lib/server.mjs";
import { once, collect, scaled } from "../lib/wait.mjs";

const require = createRequire(import.meta.url);
const eio3 = require("socket.io-client-v2/node_modules/engine.io-client");

const BIN = "engineio";
const skip = skipUnless(BIN);

function asBuffer(data) {
  if (typeof data === "string") return null;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

describe("engine.io-client 3.x (EIO=3)", { skip }, () => {
  const srv = useServer(BIN, ["-eio3", "-ping-interval", "1s", "-ping-timeout", "1s"]);

  for (const [name, opts, wantTransport] of [
    ["polling, binary payloads", { transports: ["polling"] }, "polling"],
    ["polling, base64 payloads", { transports: ["polling"], forceBase64: true }, "polling"],
    ["WebSocket", { transports: ["websocket"] }, "websocket"],
    ["polling then upgrade", { transports: ["polling", "websocket"] }, "websocket"],
  ]) {
    it(`${name}: echoes text and binary, survives heartbeats, closes`, async () => {
      const socket = eio3(srv.url, { path: "/engine.io", ...opts });
      try {
        await once(socket, "open", scaled(5000), ["error", "close"]);
        const ev = await srv.waitFor({ ev: "open", sid: socket.id });
        assert.equal(ev.protocol, 3);
        if (wantTransport === "websocket" && opts.transports.length > 1) {
          await once(socket, "upgrade");
        }
        assert.equal(socket.transport.name, wantTransport);
        const got = collect(socket, "message", 4);
        socket.send('42["chat:message",{"text":"héllo ✓ 😀"}]');
        socket.send(Buffer.from([1, 2, 3, 250]));
        socket.send("plain");
        socket.send("x".repeat(5000));
        const [a, b, c, d] = await got;
        assert.equal(a, '42["chat:message",{"text":"héllo ✓ 😀"}]');
        assert.deepEqual(asBuffer(b), Buffer.from([1, 2, 3, 250]));
        assert.equal(c, "plain");
        assert.equal(d, "x".repeat(5000));
        // Client pings keep it open past interval + timeout.
        await new Promise((r) => setTimeout(r, scaled(2500)));
        assert.equal(socket.readyState, "open");
      } finally {
        const sid = socket.id;
        socket.close();
        if (sid) {
          const ev = await srv.waitFor({ ev: "close", sid });
          assert.equal(ev.reason, "transport close");
        }
      }
    });
  }
});
