// Cross-server tests of the Redis adapter protocols: two cluster test servers
// (cluster-test-server.md) on one private redis-server, driven through /control, plus Node's
// @socket.io/redis-emitter and an external emitter program (classic adapter only), and
// connection state recovery from one server to the other (streams adapter only).
//
//   SERVER_A_CMD, SERVER_B_CMD  shell commands of the servers (default: the Node twin)
//   REDIS_ADAPTER               classic (default), sharded or streams; the servers read it too
//   EMITTER_CMD                 the external emitter (default: Parley's Go emitter)
//
// Run: node --test internal/e2e/cluster/ (from the repository, after `npm ci` here).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "@socket.io/redis-emitter";
import { io } from "socket.io-client";

import {
  Client, Control, OFFSET, TcpProxy, closeAllClients, connect, manager, normalize, runEmitter, sleep,
  startRedis, startServer, until, emitterCommand,
} from "./harness.mjs";

const NODE_TWIN = "exec node internal/e2e/cluster/node-server.mjs";
const CMD_A = process.env.SERVER_A_CMD || NODE_TWIN;
const CMD_B = process.env.SERVER_B_CMD || NODE_TWIN;
const KEY = "parley-e2e"; // not the default, so that every party must honour the key
const ADAPTER = process.env.REDIS_ADAPTER || "classic";
if (!["classic", "sharded", "streams"].includes(ADAPTER)) throw new Error(`unknown REDIS_ADAPTER ${ADAPTER}`);
const STREAMS = ADAPTER === "streams";
// Why a test does not apply to an adapter (node:test's skip takes the reason).
const NO_ALLROOMS = ADAPTER !== "classic" && `${ADAPTER}: the ClusterAdapter protocol has no allRooms request`;
const NO_EMITTER = ADAPTER !== "classic" &&
  `${ADAPTER}: the emitters publish the classic adapter's messages on classic Pub/Sub only`;

let redis, A, B, ctlA, ctlB;
const c = {}; // clients by name
let seq = 0;
const ev = (base) => `${base}-${++seq}`;

// Arguments covering JSON types and binary, top-level and nested.
const BIN = Buffer.from([0, 1, 2, 253, 254, 255]);
const ARGS = ["text", 0, -1, 42, -200, 70000, 2 ** 40, 1.5, true, false, null, "ünïcødé ✓ 🎉", [], {},
  { nested: { list: [1, "two", { three: 3 }], empty: "" } }, BIN, { inner: Buffer.from("héllo"), n: 1 }, [BIN]];

/**
 * delivered waits until exactly the clients named in `to` (of all in `among`) got event.
 * With the streams adapter (recovery on) every recipient must also have got the same offset,
 * the stream entry id, whichever server delivered it; none when `offset` is false (volatile,
 * local).
 */
async function delivered(event, to, among, args, { offset = STREAMS } = {}) {
  const offsets = new Set();
  for (const name of to) {
    const got = await c[name].waitFor(event);
    if (args !== undefined) assert.deepEqual(got.args, normalize(args), `${name}'s arguments of ${event}`);
    assert.equal(c[name].received(event).length, 1, `${name} got ${event} once`);
    offsets.add(got.offset);
  }
  if (offset) {
    assert.equal(offsets.size, 1, `one offset for ${event} on every server: ${[...offsets]}`);
    assert.match([...offsets][0] ?? "", OFFSET, `the offset of ${event}`);
  } else {
    assert.deepEqual([...offsets], to.length ? [null] : [], `no offset with ${event}`);
  }
  await sleep(300);
  for (const name of among) {
    if (!to.includes(name)) assert.equal(c[name].received(event).length, 0, `${name} must not get ${event}`);
  }
}

const ROOT = ["a1", "a2", "b1", "b2"];
const SECOND = ["sa", "sb"];
const ALL = [...ROOT, ...SECOND];

async function sseLogs() {
  return { A: (await ctlA.send("sseLog")).events, B: (await ctlB.send("sseLog")).events };
}

describe(`cluster over the ${ADAPTER} Redis adapter`, { timeout: 240_000 }, () => {
  before(async () => {
    redis = await startRedis();
    [A, B] = await Promise.all([
      startServer("A", CMD_A, redis.url, KEY),
      startServer("B", CMD_B, redis.url, KEY),
    ]);
    // Each server subscribes to a channel per namespace: the requests channel (classic), the
    // namespace's main channel on sharded Pub/Sub (sharded) or on Pub/Sub (streams).
    const [sub, channel] = {
      classic: ["NUMSUB", (nsp) => `${KEY}-request#${nsp}#`],
      sharded: ["SHARDNUMSUB", (nsp) => `${KEY}#${nsp}#`],
      streams: ["NUMSUB", (nsp) => `${KEY}#${nsp}#`],
    }[ADAPTER];
    for (const nsp of ["/", "/second"]) {
      await until(async () => {
        const n = await redis.client.sendCommand(["PUBSUB", sub, channel(nsp)]);
        return Number(n[1]) === 2;
      }, 10_000, `both servers to subscribe to ${channel(nsp)}`);
    }
    if (STREAMS) {
      // and each reads the stream (one XREAD BLOCK loop per server).
      await until(async () => {
        const list = await redis.client.sendCommand(["CLIENT", "LIST"]);
        return (list.match(/ cmd=xread /g) ?? []).length >= 2;
      }, 10_000, "both servers to read the stream");
    }
    [ctlA, ctlB] = await Promise.all([Control.open(A), Control.open(B)]);
    c.a1 = await connect(A, "/", "a1", ["r1"]);
    c.a2 = await connect(A, "/", "a2", ["r2"]);
    c.b1 = await connect(B, "/", "b1", ["r1"]);
    c.b2 = await connect(B, "/", "b2", ["r2", "rb"]);
    c.sa = await connect(A, "/second", "sa", ["r1"]);
    c.sb = await connect(B, "/second", "sb", ["r1"]);
  });

  after(async () => {
    closeAllClients();
    await Promise.all([A?.proc.stop(), B?.proc.stop()]);
    await redis?.client.quit().catch(() => {});
    await redis?.proc.stop();
  });

  it("info names both servers", async () => {
    const [a, b] = [await ctlA.send("info"), await ctlB.send("info")];
    assert.deepEqual([a.name, b.name], ["A", "B"]);
    assert.deepEqual([a.adapter ?? "classic", b.adapter ?? "classic"], [ADAPTER, ADAPTER], "both servers run the adapter under test");
  });

  it("serverCount counts both servers in each namespace", async () => {
    for (const ctl of [ctlA, ctlB]) {
      for (const nsp of ["/", "/second"]) assert.equal((await ctl.send("serverCount", { nsp })).count, 2);
    }
  });

  it("emit to the whole namespace reaches both servers with exact arguments", async () => {
    const e = ev("all");
    await ctlA.send("emit", { event: e, args: ARGS });
    await delivered(e, ROOT, ALL, ARGS);
  });

  it("emit to one room, to several rooms, with except", async () => {
    let e = ev("room");
    await ctlB.send("emit", { rooms: ["r1"], event: e, args: ["r1"] });
    await delivered(e, ["a1", "b1"], ALL, ["r1"]);
    e = ev("rooms-except");
    await ctlA.send("emit", { rooms: ["r1", "r2"], except: ["rb"], event: e, args: [] });
    await delivered(e, ["a1", "a2", "b1"], ALL, []);
    e = ev("except");
    await ctlB.send("emit", { except: ["r1"], event: e, args: [1] });
    await delivered(e, ["a2", "b2"], ALL, [1]);
    e = ev("to-socket-id");
    await ctlA.send("emit", { rooms: [c.b2.id], event: e, args: [] });
    await delivered(e, ["b2"], ALL);
  });

  it("emit in /second stays in /second", async () => {
    const e = ev("second");
    await ctlA.send("emit", { nsp: "/second", event: e, args: [{ x: 1 }] });
    await delivered(e, SECOND, ALL, [{ x: 1 }]);
  });

  it("volatile, compress(false) and local flags", async () => {
    let e = ev("volatile");
    await ctlA.send("emit", { volatile: true, event: e, args: [] });
    await delivered(e, ROOT, ALL, undefined, { offset: false });
    e = ev("nocompress");
    await ctlB.send("emit", { compress: false, event: e, args: ["z"] });
    await delivered(e, ROOT, ALL, ["z"]);
    e = ev("local");
    await ctlA.send("emit", { local: true, event: e, args: [] });
    await delivered(e, ["a1", "a2"], ALL, undefined, { offset: false });
  });

  it("a client's relay reaches rooms on both servers, not the sender", async () => {
    let e = ev("relay-room");
    assert.deepEqual(await c.a1.socket.timeout(5000).emitWithAck("relay", { event: e, args: [BIN], rooms: ["r2"] }), { ok: true });
    await delivered(e, ["a2", "b2"], ALL, [BIN]);
    e = ev("relay-all");
    await c.b1.socket.timeout(5000).emitWithAck("relay", { event: e, args: [] });
    await delivered(e, ["a1", "a2", "b2"], ALL);
  });

  it("fetchSockets returns local and remote sockets with their handshake", async () => {
    const { sockets } = await ctlA.send("fetchSockets", {});
    const byName = Object.fromEntries(sockets.map((s) => [s.data.name, s]));
    assert.deepEqual(Object.keys(byName).sort(), ROOT);
    for (const name of ROOT) {
      const s = byName[name];
      assert.equal(s.id, c[name].id);
      assert.ok(s.rooms.includes(s.id));
      const h = s.handshake;
      assert.deepEqual(h.auth, { name, rooms: { a1: ["r1"], a2: ["r2"], b1: ["r1"], b2: ["r2", "rb"] }[name] });
      assert.equal(typeof h.time, "string");
      assert.equal(typeof h.issued, "number");
      assert.equal(typeof h.url, "string");
      assert.equal(typeof h.address, "string");
      assert.equal(typeof h.xdomain, "boolean");
      assert.equal(typeof h.secure, "boolean");
      assert.equal(h.query.EIO, "4");
      assert.equal(typeof h.headers, "object");
    }
    assert.deepEqual(byName.b2.rooms, [c.b2.id, "r2", "rb"].sort());
    const r1 = await ctlB.send("fetchSockets", { rooms: ["r1"] });
    assert.deepEqual(r1.sockets.map((s) => s.data.name).sort(), ["a1", "b1"]);
    const ex = await ctlB.send("fetchSockets", { except: ["r2"] });
    assert.deepEqual(ex.sockets.map((s) => s.data.name).sort(), ["a1", "b1"]);
    const local = await ctlB.send("fetchSockets", { local: true });
    assert.deepEqual(local.sockets.map((s) => s.data.name).sort(), ["b1", "b2"]);
    const second = await ctlB.send("fetchSockets", { nsp: "/second" });
    assert.deepEqual(second.sockets.map((s) => s.data.name).sort(), SECOND);
  });

  it("allRooms answers unsupported on both servers", { skip: ADAPTER === "classic" && "classic: allRooms is a request there" }, async () => {
    for (const ctl of [ctlA, ctlB]) {
      await assert.rejects(ctl.send("allRooms", {}), /"error":"unsupported"/);
    }
  });

  it("allRooms is the union over both servers", { skip: NO_ALLROOMS }, async () => {
    const res = await ctlA.send("allRooms", {});
    for (const r of ["r1", "r2", "rb", c.a1.id, c.b2.id]) assert.ok(res.rooms.includes(r), `allRooms has ${r}`);
    assert.deepEqual(res.rooms, [...res.rooms].sort());
  });

  it("socketsJoin and socketsLeave act on both servers", async () => {
    await ctlA.send("socketsJoin", { rooms: ["r2"], join: ["j1", "j1b"] });
    await until(async () => {
      const { sockets } = await ctlB.send("fetchSockets", { rooms: ["j1"] });
      return sockets.map((s) => s.data.name).sort().join() === "a2,b2";
    }, 5000, "a2 and b2 to join j1");
    let e = ev("joined");
    await ctlB.send("emit", { rooms: ["j1b"], event: e, args: [] });
    await delivered(e, ["a2", "b2"], ALL);
    await ctlB.send("socketsLeave", { rooms: ["j1"], except: ["rb"], leave: ["j1"] });
    await until(async () => {
      const { sockets } = await ctlA.send("fetchSockets", { rooms: ["j1"] });
      return sockets.map((s) => s.data.name).join() === "b2";
    }, 5000, "a2 to leave j1");
  });

  it("disconnectSockets on both servers, with and without close", async () => {
    const mA = manager(A);
    const mB = manager(B);
    const k = {
      ka: await connect(A, "/", "ka", ["kick"], { manager: mA }),
      kas: await connect(A, "/second", "kas", [], { manager: mA }),
      kb: await connect(B, "/", "kb", ["kick"], { manager: mB }),
      kbs: await connect(B, "/second", "kbs", [], { manager: mB }),
    };
    await ctlA.send("disconnectSockets", { rooms: ["kick"], close: false });
    await until(() => k.ka.disconnects.length && k.kb.disconnects.length, 5000, "ka and kb to be disconnected");
    assert.deepEqual([k.ka.disconnects, k.kb.disconnects], [["io server disconnect"], ["io server disconnect"]]);
    await sleep(300);
    assert.equal(k.kas.socket.connected && k.kbs.socket.connected, true, "other namespaces stay connected");
    await ctlB.send("disconnectSockets", { nsp: "/second", rooms: [k.kas.id, k.kbs.id], close: true });
    await until(() => k.kas.disconnects.length && k.kbs.disconnects.length, 5000, "kas and kbs to be disconnected");
    assert.equal(mA.engine?.readyState === "open", false, "close: true closes the connection");
    for (const name of ROOT) assert.equal(c[name].socket.connected, true);
  });

  it("serverSideEmit reaches the other server only, in each namespace", async () => {
    await ctlA.send("sseClear");
    await ctlB.send("sseClear");
    await ctlA.send("serverSideEmit", { event: "sse:note", args: ["note", { from: "A", n: 1 }, [1, 2]] });
    await ctlB.send("serverSideEmit", { nsp: "/second", event: "sse:note", args: [2] });
    await until(async () => {
      const l = await sseLogs();
      return l.A.length === 1 && l.B.length === 1;
    }, 5000, "one server-side event on each server");
    await sleep(300);
    const l = await sseLogs();
    assert.deepEqual(l.B, [{ nsp: "/", event: "sse:note", args: ["note", { from: "A", n: 1 }, [1, 2]] }]);
    assert.deepEqual(l.A, [{ nsp: "/second", event: "sse:note", args: [2] }]);
  });

  it("serverSideEmitWithAck collects the other server's answer", async () => {
    const res = await ctlA.send("serverSideEmitWithAck", { event: "sse:ping", args: [{ q: "ping" }] });
    assert.equal(res.err, null);
    assert.deepEqual(res.responses, [{ server: "B", event: "sse:ping", args: [{ q: "ping" }] }]);
  });

  it("emitWithAck collects one answer per client across servers", async () => {
    const e = ev("ask");
    const res = await ctlA.send("emitWithAck", { rooms: ["r1"], event: e, args: [{ q: e }], timeout: 3000 });
    assert.equal(res.err, null);
    assert.deepEqual(res.responses.map((r) => r.client).sort(), ["a1", "b1"]);
    assert.deepEqual(res.responses[0].args, [{ q: e }]);
    const empty = await ctlB.send("emitWithAck", { rooms: ["nobody-here"], event: ev("ask"), args: [], timeout: 3000 });
    assert.deepEqual([empty.err, empty.responses], [null, []]);
  });

  it("emitWithAck reports a timeout with the partial answers", async () => {
    const silent = await connect(B, "/", "silent", ["quiet"], { silent: true });
    try {
      const e = ev("ask-timeout");
      const res = await ctlA.send("emitWithAck", { rooms: ["quiet", "r2"], event: e, args: [], timeout: 1000 });
      assert.equal(typeof res.err, "string");
      assert.ok(res.err.length > 0);
      assert.deepEqual(res.responses.map((r) => r.client).sort(), ["a2", "b2"]);
    } finally {
      silent.close();
    }
  });

  describe("Node's @socket.io/redis-emitter", { skip: NO_EMITTER }, () => {
    let emitter;
    before(() => {
      emitter = new Emitter(redis.client, { key: KEY });
    });

    it("emits to all, to rooms, except, and to /second", async () => {
      let e = ev("nemit");
      emitter.emit(e, ...ARGS);
      await delivered(e, ROOT, ALL, ARGS);
      e = ev("nemit-room");
      emitter.to("r2").except("rb").emit(e, 1);
      await delivered(e, ["a2"], ALL, [1]);
      e = ev("nemit-second");
      emitter.of("/second").volatile.emit(e, "s");
      await delivered(e, SECOND, ALL, ["s"]);
    });

    it("socketsJoin, socketsLeave, serverSideEmit", async () => {
      emitter.in("r1").socketsJoin("nj");
      await until(async () => (await ctlA.send("fetchSockets", { rooms: ["nj"] })).sockets.length === 2, 5000, "nj joined");
      emitter.in("nj").socketsLeave("nj");
      await until(async () => (await ctlA.send("fetchSockets", { rooms: ["nj"] })).sockets.length === 0, 5000, "nj left");
      await ctlA.send("sseClear");
      await ctlB.send("sseClear");
      emitter.serverSideEmit("emitter:note", { from: "node-emitter" });
      await until(async () => {
        const l = await sseLogs();
        return l.A.length === 1 && l.B.length === 1;
      }, 5000, "the emitter's server-side event on both servers");
      assert.deepEqual((await sseLogs()).A, [{ nsp: "/", event: "emitter:note", args: [{ from: "node-emitter" }] }]);
    });
  });

  describe(`external emitter (${emitterCommand()})`, { skip: NO_EMITTER }, () => {
    const run = (op) => runEmitter({ nsp: "/", rooms: [], except: [], volatile: false, ...op }, redis.url, KEY);
    const B64 = BIN.toString("base64");

    it("emits binary arguments, top-level and nested, to both servers", async () => {
      const e = ev("xemit");
      const args = [1, "two", { $binary: B64 }, { nested: { deep: [{ $binary: B64 }] } }, [{ $binary: "" }], 2 ** 40, -5, 0.5];
      await run({ op: "emit", event: e, args });
      await delivered(e, ROOT, ALL, args);
    });

    it("emits to rooms with except, volatile, and to /second", async () => {
      let e = ev("xemit-room");
      await run({ op: "emit", rooms: ["r1", "r2"], except: ["rb", c.a1.id], event: e, args: [] });
      await delivered(e, ["a2", "b1"], ALL, []);
      e = ev("xemit-one-room");
      await run({ op: "emit", rooms: ["r2"], volatile: true, event: e, args: [{ k: null }] });
      await delivered(e, ["a2", "b2"], ALL, [{ k: null }]);
      e = ev("xemit-second");
      await run({ op: "emit", nsp: "/second", event: e, args: ["s"] });
      await delivered(e, SECOND, ALL, ["s"]);
    });

    it("socketsJoin, socketsLeave, disconnectSockets, serverSideEmit", async () => {
      await run({ op: "socketsJoin", rooms: ["r1"], join: ["xj"] });
      await until(async () => (await ctlB.send("fetchSockets", { rooms: ["xj"] })).sockets.length === 2, 5000, "xj joined");
      await run({ op: "socketsLeave", rooms: ["xj"], except: ["r2"], leave: ["xj"] });
      await until(async () => (await ctlB.send("fetchSockets", { rooms: ["xj"] })).sockets.length === 0, 5000, "xj left");
      const x1 = await connect(A, "/", "x1", ["xkick"]);
      const x2 = await connect(B, "/", "x2", ["xkick"]);
      await run({ op: "disconnectSockets", rooms: ["xkick"], close: false });
      await until(() => x1.disconnects.length && x2.disconnects.length, 5000, "x1 and x2 to be disconnected");
      await ctlA.send("sseClear");
      await ctlB.send("sseClear");
      await run({ op: "serverSideEmit", nsp: "/second", event: "emitter:note", args: [{ from: "go" }, 7] });
      await until(async () => {
        const l = await sseLogs();
        return l.A.length === 1 && l.B.length === 1;
      }, 5000, "the external emitter's server-side event on both servers");
      assert.deepEqual((await sseLogs()).B, [{ nsp: "/second", event: "emitter:note", args: [{ from: "go" }, 7] }]);
    });
  });

  describe("connection state recovery from one server to the other", {
    skip: !STREAMS && `${ADAPTER}: only the streams adapter keeps sessions and missed packets in Redis`,
  }, () => {
    // The client reaches A through a TCP proxy; the proxy cuts its connection, refuses the
    // client's reconnection attempts while the test emits what it misses, then sends it to B.
    // The client reconnects by itself (socket.io-client's own pid/offset handshake).
    it("a client cut off from A reconnects to B: recovered, same id, rooms, data, exactly the missed packets", async () => {
      const proxy = await TcpProxy.start(A);
      const socket = io(proxy.url + "/", {
        transports: ["websocket"], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 100,
        randomizationFactor: 0, auth: { name: "rec", rooms: ["rec-room"] },
      });
      const rc = new Client(socket, "rec");
      const xlen = () => redis.client.xLen(KEY);
      // emit runs a command and waits until its broadcast is in the stream, so that the
      // entries (and the replay) follow the order of the test.
      const emit = async (ctl, cmd) => {
        const n = await xlen();
        await ctl.send("emit", cmd);
        await until(async () => (await xlen()) > n, 5000, `${cmd.event} in the stream`);
      };
      try {
        await until(() => socket.connected, 9000, "rec to connect to A through the proxy");
        assert.equal(socket.recovered, false);
        const id = socket.id;
        assert.ok(socket._pid, "A's CONNECT answer has a pid: recovery is on");
        // A room joined after the handshake, from B: the session must carry it.
        await ctlB.send("socketsJoin", { rooms: [id], join: ["rec-joined"] });
        await until(async () => {
          const { sockets } = await ctlA.send("fetchSockets", { rooms: ["rec-joined"], local: true });
          return sockets.length === 1;
        }, 5000, "rec to join rec-joined on A");
        let e = ev("rec-before");
        await emit(ctlB, { rooms: ["rec-room"], event: e, args: ["before"] });
        const before = await rc.waitFor(e);
        assert.match(before.offset ?? "", OFFSET);

        proxy.route(null);
        proxy.drop();
        await until(() => rc.disconnects.length === 1, 5000, "rec to lose its connection");
        assert.deepEqual(rc.disconnects, ["transport close"]);
        await until(async () => (await redis.client.exists(`sio:session:${socket._pid}`)) === 1, 5000,
          "A to keep rec's session in Redis");

        const missed = [
          [ctlA, { rooms: ["rec-room"], event: ev("missed-from-A"), args: [1, BIN, { n: null }] }],
          [ctlB, { rooms: ["rec-room", "elsewhere"], except: ["nobody"], event: ev("missed-from-B"), args: [{ from: "B" }] }],
          [ctlA, { rooms: ["rec-joined"], event: ev("missed-joined"), args: [] }],
          [ctlB, { event: ev("missed-all"), args: ["all", 2 ** 40] }],
        ];
        const notForRec = [
          [ctlA, { rooms: ["not-rec"], event: ev("other-room"), args: [] }],
          [ctlB, { rooms: ["rec-room"], except: ["rec-joined"], event: ev("excepted"), args: [] }],
          [ctlA, { nsp: "/second", event: ev("other-nsp"), args: [] }],
        ];
        for (const [ctl, cmd] of [missed[0], notForRec[0], missed[1], notForRec[1], missed[2], notForRec[2], missed[3]]) {
          await emit(ctl, cmd);
        }
        const since = rc.events.length;

        proxy.route(B);
        await until(() => socket.connected, 10_000, "rec to reconnect, to B");
        assert.equal(socket.recovered, true, "B recovered the session A left in Redis");
        assert.equal(socket.id, id);
        await rc.waitFor(missed[3][1].event);
        await sleep(300);
        const replay = rc.events.slice(since);
        assert.deepEqual(replay.map((x) => x.event), missed.map(([, cmd]) => cmd.event), "exactly the missed packets, in order");
        missed.forEach(([, cmd], i) => assert.deepEqual(replay[i].args, normalize(cmd.args), `arguments of ${cmd.event}`));
        const offs = replay.map((x) => x.offset);
        for (const o of offs) assert.match(o ?? "", OFFSET);
        assert.equal(socket._lastOffset, offs[offs.length - 1]);

        const onB = (await ctlB.send("fetchSockets", { rooms: [id], local: true })).sockets;
        assert.equal(onB.length, 1, "the socket is on B");
        assert.deepEqual(onB[0].rooms, [id, "rec-joined", "rec-room"].sort());
        assert.deepEqual(onB[0].data, { name: "rec" });
        assert.deepEqual((await ctlA.send("fetchSockets", { rooms: [id], local: true })).sockets, [], "and no longer on A");
        assert.equal(await redis.client.exists(`sio:session:${socket._pid}`), 0, "the session was taken out of Redis");

        e = ev("rec-after");
        await emit(ctlA, { rooms: ["rec-joined"], event: e, args: ["after"] });
        assert.deepEqual((await rc.waitFor(e)).args, ["after"]);
      } finally {
        socket.disconnect();
        await proxy.close();
      }
    });
  });
});
