// End-to-end tests of internal/engineio with the official engine.io-client: polling only,
// WebSocket only, polling then upgrade; text and binary both ways; closes seen on both sides;
// the client's ping timeout when the server stops answering.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "engine.io-client";

import { useServer, skipUnless } from "../lib/server.mjs";
import { once, collect, scaled } from "../lib/wait.mjs";

const BIN = "engineio";
const ARGS = ["-ping-interval", "1s", "-ping-timeout", "1s"];
const skip = skipUnless(BIN);

function connect(srv, transports, extra = {}) {
  return new Socket(srv.url, { path: "/engine.io/", transports, ...extra });
}

async function opened(socket) {
  await once(socket, "open", scaled(5000), ["error", "close"]);
  return socket;
}

function asBuffer(data) {
  if (typeof data === "string") return null;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

async function echoRoundTrip(socket) {
  const got = collect(socket, "message", 3);
  socket.send("héllo ✓");
  socket.send(Buffer.from([1, 2, 3, 4]));
  socket.send("after binary");
  const [a, b, c] = await got;
  assert.equal(a, "héllo ✓");
  assert.deepEqual(asBuffer(b), Buffer.from([1, 2, 3, 4]));
  assert.equal(c, "after binary");
}

for (const [name, transports, wantTransport] of [
  ["polling only", ["polling"], "polling"],
  ["WebSocket only", ["websocket"], "websocket"],
]) {
  describe(`engine.io-client, ${name}`, { skip }, () => {
    const srv = useServer(BIN, ARGS);

    it("opens a session on the expected transport", async () => {
      const mark = srv.events.mark();
      const socket = await opened(connect(srv, transports));
      try {
        assert.equal(socket.transport.name, wantTransport);
        const ev = await srv.waitFor({ ev: "open", sid: socket.id }, undefined, { since: mark });
        assert.equal(ev.transport, wantTransport);
        assert.equal(ev.protocol, 4);
      } finally {
        socket.close();
      }
    });

    it("echoes text and binary messages in order", async () => {
      const socket = await opened(connect(srv, transports));
      try {
        await echoRoundTrip(socket);
      } finally {
        socket.close();
      }
    });

    it("keeps the session alive across several heartbeats", async () => {
      const socket = await opened(connect(srv, transports));
      try {
        await new Promise((r) => setTimeout(r, scaled(2500)));
        assert.equal(socket.readyState, "open");
        await echoRoundTrip(socket);
      } finally {
        socket.close();
      }
    });

    it("the server sees the client's close", async () => {
      const socket = await opened(connect(srv, transports));
      const sid = socket.id;
      socket.close();
      const ev = await srv.waitFor({ ev: "close", sid });
      assert.equal(ev.reason, "transport close");
    });

    it("the client sees the server's close", async () => {
      const socket = await opened(connect(srv, transports));
      const sid = socket.id;
      const closed = once(socket, "close");
      socket.send("close-me");
      const [reason] = await closed;
      assert.equal(reason, "transport close");
      const ev = await srv.waitFor({ ev: "close", sid });
      assert.equal(ev.reason, "forced close");
    });
  });
}

describe("engine.io-client, polling then upgrade", { skip }, () => {
  const srv = useServer(BIN, ARGS);

  it("upgrades to WebSocket without losing or duplicating a message", async () => {
    const socket = connect(srv, ["polling", "websocket"]);
    const N = 200;
    const got = [];
    let done;
    const all = new Promise((resolve) => (done = resolve));
    socket.on("message", (m) => {
      got.push(m);
      if (got.length === 2 * N) done();
    });
    await opened(socket);
    assert.equal(socket.transport.name, "polling");
    const upgraded = once(socket, "upgrade", scaled(5000));
    for (let i = 0; i < N; i++) socket.send(`m${i}`);
    await upgraded;
    assert.equal(socket.transport.name, "websocket");
    for (let i = N; i < 2 * N; i++) socket.send(i % 2 ? `m${i}` : Buffer.from(`m${i}`));
    await Promise.race([
      all,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${got.length} echoes`)), scaled(5000))),
    ]);
    const texts = got.map((m) => (typeof m === "string" ? m : asBuffer(m).toString()));
    assert.deepEqual(texts, Array.from({ length: 2 * N }, (_, i) => `m${i}`));
    const sid = socket.id;
    socket.close();
    const ev = await srv.waitFor({ ev: "close", sid });
    assert.equal(ev.reason, "transport close");
    assert.equal(ev.transport, "websocket");
  });

  it("text and binary both ways after the upgrade", async () => {
    const socket = await opened(connect(srv, ["polling", "websocket"]));
    try {
      await once(socket, "upgrade");
      await echoRoundTrip(socket);
    } finally {
      socket.close();
    }
  });
});

for (const transports of [["polling"], ["websocket"]]) {
  describe(`engine.io-client sees a ping timeout (${transports[0]})`, { skip }, () => {
    const srv = useServer(BIN, ["-ping-interval", "300ms", "-ping-timeout", "300ms"]);

    it("closes with 'ping timeout' when the server stops pinging", async () => {
      const socket = await opened(connect(srv, transports));
      const sid = socket.id;
      const closed = once(socket, "close", scaled(5000));
      srv.pause(); // the whole server stops: no more pings
      let reason;
      try {
        [reason] = await closed;
      } finally {
        srv.resume();
      }
      assert.equal(reason, "ping timeout");
      // Once running again, the server notices the session is gone too.
      const ev = await srv.waitFor({ ev: "close", sid });
      assert.ok(["transport close", "ping timeout"].includes(ev.reason), ev.reason);
    });
  });
}

// The server's own WebSocket framing against the ws package under engine.io-client: large
// frames (16- and 64-bit lengths), bursts that the server writes in batches, and
// per-message deflate both ways.
async function bigAndBurst(socket) {
  const big = "x".repeat(300_000) + "é";
  const bin = Buffer.alloc(70_000, 7);
  const burst = Array.from({ length: 300 }, (_, i) => `m${i}`);
  const got = collect(socket, "message", 2 + burst.length);
  socket.send(big);
  socket.send(bin);
  for (const m of burst) socket.send(m);
  const all = await got;
  assert.equal(all[0], big);
  assert.deepEqual(asBuffer(all[1]), bin);
  assert.deepEqual(all.slice(2), burst);
}

for (const [name, args, clientOpts, wantDeflate] of [
  ["without compression", [], {}, false],
  ["with per-message deflate", ["-deflate"], { perMessageDeflate: { threshold: 0 } }, true],
]) {
  describe(`engine.io-client over WebSocket ${name}`, { skip }, () => {
    const srv = useServer(BIN, [...ARGS, ...args]);

    it("echoes large messages and bursts in order", async () => {
      const socket = await opened(connect(srv, ["websocket"], clientOpts));
      try {
        const ext = socket.transport.ws.extensions;
        const negotiated = typeof ext === "string" ? ext.includes("permessage-deflate") : Object.keys(ext ?? {}).length > 0;
        assert.equal(negotiated, wantDeflate, `extensions: ${JSON.stringify(ext)}`);
        await echoRoundTrip(socket);
        await bigAndBurst(socket);
      } finally {
        socket.close();
      }
    });
  });
}
