// Bad input from raw peers (the `ws` package, plain HTTP polling): malformed packets, an ack id
// never sent, attachment counts that lie, a namespace flood, oversized payloads. Each closes
// that connection alone (or is ignored, where Node ignores it), and the server keeps serving
// the official client connected next to it.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import WebSocket from "ws";

import { useServer } from "../lib/server.mjs";
import { withTimeout } from "../lib/wait.mjs";
import { Clients, ackAll, SETUPS } from "./helpers.mjs";

const srv = useServer("features");

/** RawWS is a Socket.IO connection spoken by hand over `ws`. */
class RawWS {
  static async open(url) {
    const r = new RawWS(new WebSocket(`${url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`));
    await r.next((m) => m.startsWith("0")); // Engine.IO open
    r.send("40");
    await r.next((m) => m.startsWith("40"));
    return r;
  }

  constructor(ws) {
    this.ws = ws;
    this.msgs = [];
    this.wakers = new Set();
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("error", () => {});
    ws.on("message", (data, isBinary) => {
      const m = isBinary ? data : data.toString();
      if (m === "2") {
        ws.send("3"); // answer pings
        return;
      }
      this.msgs.push(m);
      for (const w of [...this.wakers]) w();
    });
  }

  send(m) {
    this.ws.send(m);
  }

  /** next resolves with the first message (history included) satisfying pred. */
  next(pred, ms = 3000) {
    return withTimeout(
      new Promise((resolve) => {
        const check = () => {
          const i = this.msgs.findIndex((m) => typeof m === "string" && pred(m));
          if (i >= 0) {
            this.wakers.delete(check);
            resolve(this.msgs.splice(i, 1)[0]);
          }
        };
        this.wakers.add(check);
        check();
      }),
      ms,
      "a message from the server",
      () => `got ${JSON.stringify(this.msgs.map(String))}`,
    );
  }

  /** expectClosed resolves when the server closes the connection. */
  expectClosed(ms = 3000) {
    return withTimeout(this.closed, ms, "the server to close the connection", () => `got ${JSON.stringify(this.msgs.map(String))}`);
  }

  /** echo proves the connection still works. */
  async echo(tag) {
    this.send(`42["echo","${tag}"]`);
    await this.next((m) => m === `42["echo","${tag}"]`);
  }
}

/** A raw polling session: handshake, CONNECT, then POSTs and GETs by hand. */
class RawPolling {
  static async open(url) {
    const r = new RawPolling(url);
    const res = await fetch(`${r.base}`);
    const body = await res.text();
    r.sid = JSON.parse(body.slice(1)).sid;
    await r.post("40");
    const got = await r.get();
    assert.match(got.body, /^40\{/);
    return r;
  }

  constructor(url) {
    this.base = `${url}/socket.io/?EIO=4&transport=polling`;
  }

  post(body) {
    return fetch(`${this.base}&sid=${this.sid}`, { method: "POST", body });
  }

  async get() {
    const res = await fetch(`${this.base}&sid=${this.sid}`);
    return { status: res.status, body: await res.text() };
  }

  /** closed polls until the session is gone (close packet, or an error status). */
  async expectClosed(ms = 3000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const r = await withTimeout(this.get(), ms, "a poll");
      if (r.status !== 200) return r.status;
      if (r.body.split("\x1e").includes("1")) return "close packet";
    }
    throw new Error("session still open");
  }
}

describe("bad input from raw peers", () => {
  const clients = new Clients(SETUPS[0]);
  let bystander;

  before(async () => {
    bystander = null;
  });

  async function healthy() {
    if (!bystander || !bystander.connected) bystander = await clients.connected(srv.url);
    assert.deepEqual(await ackAll(bystander, "echo-ack", "alive"), ["alive"]);
    const fresh = await RawWS.open(srv.url);
    await fresh.echo("fresh");
    fresh.ws.close();
  }

  const closing = [
    ["an unknown packet type", ["9"]],
    ["an event that is no JSON", ['42["echo",']],
    ["an event payload that is no array", ['42{"not":"an array"}']],
    ["an event without a name", ["42[]"]],
    ["an invalid ack id", ["43abc[]"]],
    ["an attachment placeholder beyond the attachment count", ['451-["echo",{"_placeholder":true,"num":1}]', Buffer.from([1])]],
    ["a text packet where an attachment was announced", ['451-["echo",{"_placeholder":true,"num":0}]', '42["echo","x"]']],
    ["an absurd attachment count", ['4599999999-["echo"]']],
    ["a binary frame nobody announced", [Buffer.from([1, 2, 3])]],
  ];
  for (const [what, frames] of closing) {
    it(`closes the connection on ${what}`, async () => {
      const r = await RawWS.open(srv.url);
      await r.echo("before");
      for (const f of frames) r.send(f);
      await r.expectClosed();
      await healthy();
    });
  }

  it("ignores an ack id the server never sent, and keeps the connection", async () => {
    const r = await RawWS.open(srv.url);
    r.send('4399["x"]');
    r.send('43["no id"]');
    await r.echo("after-bad-ack");
    assert.equal(r.ws.readyState, WebSocket.OPEN);
    r.ws.close();
    await healthy();
  });

  it("survives a namespace flood on one connection", async () => {
    const r = await RawWS.open(srv.url);
    const n = 1000;
    for (let i = 0; i < n; i++) r.send(`40/nope-${i},`);
    for (let i = 0; i < 200; i++) r.send(`40/dyn-${100000 + i},`);
    // every unknown namespace is refused, every dynamic one accepted (as Node does), unless the
    // server chose to close the flooding connection
    const outcome = await Promise.race([
      r.closed.then(() => "closed"),
      (async () => {
        await r.next((m) => m.startsWith(`44/nope-${n - 1},`), 10000);
        await r.next((m) => m.startsWith(`40/dyn-${100000 + 199},`), 10000);
        return "answered";
      })(),
    ]);
    if (outcome === "answered") {
      assert.ok(r.msgs.filter((m) => typeof m === "string" && m.startsWith("44/nope-")).length >= n - 1);
      await r.echo("after-flood");
      r.ws.close();
    }
    await healthy();
  });

  it("closes a WebSocket that sends an oversized payload", async () => {
    const r = await RawWS.open(srv.url);
    r.send(`42["echo","${"x".repeat(1_100_000)}"]`);
    const code = await r.expectClosed();
    assert.ok(code === 1009 || code === 1006 || code === 1000 || code === 1002, `close code ${code}`);
    await healthy();
  });

  it("closes a polling session that sends an oversized payload", async () => {
    const p = await RawPolling.open(srv.url);
    const res = await p.post(`42["echo","${"x".repeat(1_100_000)}"]`);
    assert.ok(res.status >= 400, `POST status ${res.status}`);
    await p.expectClosed();
    await healthy();
  });

  it("closes a polling session on a malformed packet", async () => {
    const p = await RawPolling.open(srv.url);
    await p.post('42["echo",');
    await p.expectClosed();
    await healthy();
  });
});
