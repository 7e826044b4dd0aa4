// socket.io-client 2.x (Engine.IO protocol v3, Socket.IO protocol v4) against the features
// server (AllowEIO3): connect, events both ways, acknowledgements, binary, rooms, disconnect.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import ioV2 from "socket.io-client-v2";

import { useServer } from "../lib/server.mjs";
import { once, withTimeout, DEFAULT_TIMEOUT_MS } from "../lib/wait.mjs";

const srv = useServer("features");

describe("socket.io-client 2.x (Engine.IO v3)", () => {
  const open = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  async function connect(nsp = "/", opts = {}) {
    const s = ioV2(srv.url + nsp, { forceNew: true, reconnection: false, ...opts });
    open.push(s);
    await once(s, "connect", DEFAULT_TIMEOUT_MS, ["connect_error", "error"]);
    return s;
  }

  function ack(s, event, ...args) {
    return withTimeout(
      new Promise((resolve) => s.emit(event, ...args, (...res) => resolve(res))),
      DEFAULT_TIMEOUT_MS,
      `acknowledgement of ${event}`,
    );
  }

  const ctl = async (s, cmd, ...args) => {
    const [res] = await ack(s, "control", cmd, ...args);
    if (res && res.error) throw new Error(`control ${JSON.stringify(cmd)}: ${res.error}`);
    return res;
  };

  it("connects to the main and a named namespace (polling, then upgrade)", async () => {
    const s = await connect();
    const info = await ctl(s, { cmd: "info" });
    assert.equal(info.nsp, "/");
    await srv.waitFor({ ev: "connection", id: info.id, nsp: "/" });
    const h = await ctl(s, { cmd: "handshake" });
    assert.deepEqual(h.query.EIO, ["3"]);
    const o = await connect("/other");
    assert.equal((await ctl(o, { cmd: "info" })).nsp, "/other");
    // the upgrade to WebSocket completes
    if (s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade");
    assert.equal((await ctl(s, { cmd: "info" })).transport, "websocket");
  });

  it("connects over WebSocket only, and to a dynamic namespace", async () => {
    const s = await connect("/dyn-5", { transports: ["websocket"] });
    const info = await ctl(s, { cmd: "info" });
    assert.equal(info.nsp, "/dyn-5");
    assert.deepEqual(info.data, { dyn: "/dyn-5" });
    assert.equal(info.transport, "websocket");
  });

  it("gets a middleware refusal's data as an error event", async () => {
    const s = ioV2(srv.url + "/admin", { forceNew: true, reconnection: false });
    open.push(s);
    const [err] = await once(s, "error", DEFAULT_TIMEOUT_MS, ["connect"]);
    assert.deepEqual(err, { code: "E_AUTH" });
  });

  it("carries events both ways", async () => {
    const s = await connect();
    const values = ["héllo ✓", 42, 1.5, true, null, { a: [1, { b: "c" }] }, [1, 2]];
    const got = new Promise((resolve) => s.once("echo", (...args) => resolve(args)));
    s.emit("echo", ...values);
    assert.deepEqual(await withTimeout(got, DEFAULT_TIMEOUT_MS, "echo"), values);
    const pushed = new Promise((resolve) => s.once("pushed", (...args) => resolve(args)));
    const info = await ctl(s, { cmd: "info" });
    await ctl(s, { cmd: "emit", rooms: [info.id], event: "pushed" }, "from-server", { n: 1 });
    assert.deepEqual(await withTimeout(pushed, DEFAULT_TIMEOUT_MS, "pushed"), ["from-server", { n: 1 }]);
  });

  it("acknowledges both ways", async () => {
    const s = await connect();
    assert.deepEqual(await ack(s, "echo-ack", 1, "two", { three: 3 }), [1, "two", { three: 3 }]);
    s.on("question", (q, cb) => cb(`answer:${q}`));
    const res = await ctl(s, { cmd: "socketEmitWithAck", event: "question", timeoutMs: 2000 }, "v2");
    assert.deepEqual(res.answer, ["answer:v2"]);
  });

  it("carries nested binary both ways", async () => {
    const s = await connect();
    const [desc] = await ack(s, "describe", Buffer.from([1, 2, 3]), { a: [Buffer.alloc(4), "x"] });
    assert.deepEqual(desc, ["bytes:3", { a: ["bytes:4", "string"] }]);
    const got = new Promise((resolve) => s.once("echo", (...args) => resolve(args)));
    s.emit("echo", { file: Buffer.from("hello"), list: [Buffer.from([0, 255])] });
    const [obj] = await withTimeout(got, DEFAULT_TIMEOUT_MS, "binary echo");
    assert.ok(Buffer.isBuffer(obj.file), Object.prototype.toString.call(obj.file));
    assert.equal(obj.file.toString(), "hello");
    assert.deepEqual([...obj.list[0]], [0, 255]);
    const [back] = await ack(s, "echo-ack", Buffer.from("ack"));
    assert.equal(Buffer.from(back).toString(), "ack");
  });

  it("joins rooms and receives room broadcasts", async () => {
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    await ctl(a, { cmd: "join", target: ["v2-room"] });
    await ctl(b, { cmd: "join", target: ["v2-room"] });
    const got = [a, b, c].map(() => []);
    [a, b, c].forEach((s, i) => s.on("news", (v) => got[i].push(v)));
    await ctl(c, { cmd: "emit", rooms: ["v2-room"], event: "news" }, "room");
    await ctl(a, { cmd: "emit", broadcast: true, rooms: ["v2-room"], event: "news" }, "bc");
    // fence: a last event to each, then compare
    for (const s of [a, b, c]) {
      const f = new Promise((resolve) => s.once("fence", resolve));
      const { id } = await ctl(s, { cmd: "info" });
      await ctl(s, { cmd: "emit", rooms: [id], event: "fence" });
      await withTimeout(f, DEFAULT_TIMEOUT_MS, "fence");
    }
    assert.deepEqual(got, [["room"], ["room", "bc"], []]);
  });

  it("disconnects both ways with the right reasons", async () => {
    const s = await connect();
    const { id } = await ctl(s, { cmd: "info" });
    s.disconnect();
    assert.equal((await srv.waitFor({ ev: "disconnect", id })).reason, "client namespace disconnect");

    const t = await connect();
    const t2 = await ctl(t, { cmd: "info" });
    const gone = once(t, "disconnect");
    ack(t, "control", { cmd: "disconnect" }).catch(() => {});
    const [reason] = await gone;
    assert.equal(reason, "io server disconnect");
    assert.equal((await srv.waitFor({ ev: "disconnect", id: t2.id })).reason, "server namespace disconnect");
  });
});
