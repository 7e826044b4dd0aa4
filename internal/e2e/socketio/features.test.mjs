// The features of package socketio, end to end with the official socket.io-client 4.x, over
// WebSocket only, polling only, and the default (polling, then upgrade), against
// internal/conformance/features.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { useServer } from "../lib/server.mjs";
import {
  Clients,
  Inbox,
  ackAll,
  connectError,
  connectOf,
  ctl,
  disconnectOf,
  fence,
  selectedSetups,
  upgraded,
} from "./helpers.mjs";

const srv = useServer("features");

// Known engine divergence (internal/engineio): over polling, a graceful Session.Close puts the
// close packet in the same payload as the last queued packets; socket.io-client delivers
// decoded Socket.IO packets on a later tick, so it sees the engine close first ("transport
// close", acknowledgements dropped) and never the DISCONNECT packets. Node's server sends the
// close packet in the next poll response.
for (const setup of selectedSetups()) {
  describe(`socket.io-client 4.x over ${setup.name}`, () => {
    const clients = new Clients(setup);

    describe("namespaces", () => {
      it("connects to the main namespace with the server's socket id", async () => {
        const s = await clients.connected(srv.url);
        const ev = await srv.waitFor({ ev: "connection", nsp: "/", id: s.id });
        assert.equal(ev.recovered, false);
        const info = await ctl(s, { cmd: "info" });
        assert.equal(info.id, s.id);
        assert.equal(info.nsp, "/");
        assert.deepEqual(info.rooms, [s.id]);
        if (!setup.opts.transports) {
          await upgraded(s);
          assert.equal((await ctl(s, { cmd: "info" })).transport, "websocket");
        } else {
          assert.equal(info.transport, setup.opts.transports[0]);
        }
      });

      it("connects to a named namespace", async () => {
        const s = await clients.connected(srv.url, "/other");
        const info = await ctl(s, { cmd: "info" });
        assert.equal(info.nsp, "/other");
        assert.equal(info.id, s.id);
      });

      it("connects to dynamic namespaces through the parent's middleware and handlers", async () => {
        const s = clients.socket(srv.url, "/dyn-42");
        const ib = new Inbox(s);
        await connectOf(s);
        const [welcome] = await ib.wait("dyn-welcome");
        assert.deepEqual(welcome, { nsp: "/dyn-42" });
        const info = await ctl(s, { cmd: "info" });
        assert.equal(info.nsp, "/dyn-42");
        assert.deepEqual(info.data, { dyn: "/dyn-42" });
        // the parent's middleware refuses one name
        const err = await connectError(clients.socket(srv.url, "/dyn-13"));
        assert.equal(err.message, "unlucky namespace");
        assert.deepEqual(err.data, { nsp: "/dyn-13" });
        // a name the pattern does not match is no namespace
        const bad = await connectError(clients.socket(srv.url, "/dyn-x"));
        assert.equal(bad.message, "Invalid namespace");
      });

      it("refuses an unknown namespace with connect_error \"Invalid namespace\"", async () => {
        const err = await connectError(clients.socket(srv.url, "/nope"));
        assert.equal(err.message, "Invalid namespace");
        assert.equal(err.data, undefined);
      });

      it("multiplexes several namespaces on one Manager (one Engine.IO session)", async () => {
        const m = clients.manager(srv.url);
        const main = m.socket("/");
        const other = m.socket("/other");
        const admin = m.socket("/admin", { auth: { token: "secret" } });
        const dyn = m.socket("/dyn-7");
        const socks = [main, other, admin, dyn];
        const inboxes = socks.map((s) => new Inbox(s));
        await Promise.all(socks.map((s) => connectOf(s)));
        assert.equal(new Set(socks.map((s) => s.id)).size, 4, "distinct socket ids");
        const infos = await Promise.all(socks.map((s) => ctl(s, { cmd: "info" })));
        assert.deepEqual(
          infos.map((i) => i.nsp),
          ["/", "/other", "/admin", "/dyn-7"],
        );
        // one engine session: every namespace's handshake saw the same request
        const hs = await Promise.all(socks.map((s) => ctl(s, { cmd: "handshake" })));
        assert.equal(new Set(hs.map((h) => h.url)).size, 1);
        // an event on one namespace stays there
        socks.forEach((s, i) => s.emit("echo", `from-${i}`));
        for (const [i, ib] of inboxes.entries()) {
          const [v] = await ib.wait("echo");
          assert.equal(v, `from-${i}`);
        }
        await fence(inboxes);
        inboxes.forEach((ib) => assert.equal(ib.named("echo").length, 1));
      });
    });

    describe("handshake and middleware", () => {
      it("shows the auth payload, the query and the headers to the server", async () => {
        const s = await clients.connected(srv.url, "/", {
          auth: { token: "abc", n: 1, nested: { ok: true } },
          query: { room: "lobby", lang: "fr" },
          extraHeaders: { "x-parley-test": "yes" },
        });
        const h = await ctl(s, { cmd: "handshake" });
        assert.deepEqual(h.auth, { token: "abc", n: 1, nested: { ok: true } });
        assert.deepEqual(h.query.room, ["lobby"]);
        assert.deepEqual(h.query.lang, ["fr"]);
        assert.deepEqual(h.query.EIO, ["4"]);
        assert.deepEqual(h.headers["X-Parley-Test"], ["yes"]);
        assert.match(h.address, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
      });

      it("refuses in middleware with the message and data connect_error shows", async () => {
        const err = await connectError(clients.socket(srv.url, "/admin"));
        assert.ok(err instanceof Error);
        assert.equal(err.message, "not authorized");
        assert.deepEqual(err.data, { code: "E_AUTH" });
        const wrong = await connectError(clients.socket(srv.url, "/admin", { auth: { token: "nope" } }));
        assert.deepEqual(wrong.data, { code: "E_AUTH" });
        const ok = await clients.connected(srv.url, "/admin", { auth: { token: "secret" } });
        assert.equal((await ctl(ok, { cmd: "info" })).nsp, "/admin");
        // the main namespace's middleware, with the client's own message and data
        const main = await connectError(
          clients.socket(srv.url, "/", { auth: { refuse: { message: "go away", data: { why: [1, "two"] } } } }),
        );
        assert.equal(main.message, "go away");
        assert.deepEqual(main.data, { why: [1, "two"] });
      });

      it("runs per-socket middleware: a refused event is dropped and reported", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        const mark = srv.events.mark();
        s.emit("forbidden", 1, 2);
        const [err] = await ib.wait("error");
        assert.match(err.message, /forbidden/);
        await srv.waitFor({ ev: "error", id: s.id }, undefined, { since: mark });
        // the socket still works, and the handler never ran
        assert.deepEqual(await ackAll(s, "echo-ack", "after"), ["after"]);
        assert.equal(srv.events.filter({ ev: "forbidden-handled" }).length, 0);
      });
    });

    describe("events", () => {
      const values = [
        "héllo ✓ 😀",
        42,
        -1.5,
        true,
        false,
        null,
        { a: [1, { b: "c" }], e: {}, l: [] },
        [1, "2", [3]],
        "",
      ];

      it("carries typed arguments both ways (client -> server -> client)", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        s.emit("echo", ...values);
        const got = await ib.wait("echo");
        assert.deepEqual(got, values);
        // server to client, emitted by the server through a command
        await ctl(s, { cmd: "emit", rooms: [s.id], event: "pushed" }, ...values);
        assert.deepEqual(await ib.wait("pushed"), values);
      });

      it("decodes into a Go struct with socketio.Handle, and reports a wrong type", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        const res = await s
          .timeout(2000)
          .emitWithAck("typed", { item: "book", qty: 3, price: 2.5, tags: ["a", "b"], extra: 1 });
        assert.deepEqual(res, { item: "book", qty: 3, total: 7.5, tags: ["a", "b"], noteBytes: 0 });
        const withNote = await s.timeout(2000).emitWithAck("typed", { item: "x", qty: 1, note: Buffer.from("hey") });
        assert.equal(withNote.noteBytes, 3);
        // a wrong type: no acknowledgement, an error event instead
        await assert.rejects(s.timeout(400).emitWithAck("typed", { item: "book", qty: "three" }));
        const [err] = await ib.wait("error");
        assert.match(err.message, /typed/);
      });

      it("reports every incoming and outgoing event (OnAny, OnAnyOutgoing)", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        const mark = srv.events.mark();
        s.emit("echo", "x", "y");
        await ib.wait("echo");
        const inEv = await srv.waitFor({ ev: "any", id: s.id, event: "echo" }, undefined, { since: mark });
        assert.equal(inEv.args, 2);
        await srv.waitFor({ ev: "outgoing", id: s.id, event: "echo" }, undefined, { since: mark });
      });

      it("refuses to emit reserved event names (ErrReservedEvent)", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        for (const name of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
          const res = await ctl(s, { cmd: "emitReserved", event: name }, "x");
          assert.equal(res.reserved, true, `${name}: ${JSON.stringify(res)}`);
          assert.match(res.socket, /reserved/);
        }
        await fence([ib]);
        assert.deepEqual(
          ib.events.map((e) => e.event),
          ["fence"],
        );
        assert.ok(s.connected);
      });
    });

    describe("acknowledgements", () => {
      it("acknowledges client events with every argument", async () => {
        const s = await clients.connected(srv.url);
        assert.deepEqual(await ackAll(s, "echo-ack", 1, "two", { three: [3] }), [1, "two", { three: [3] }]);
        assert.deepEqual(await ackAll(s, "echo-ack"), []);
        assert.equal(await s.timeout(2000).emitWithAck("echo-ack", "single"), "single");
      });

      it("gets the client's acknowledgement of a server emitWithAck, or a timeout", async () => {
        const s = await clients.connected(srv.url);
        s.on("question", (q, n, cb) => cb(`answer:${q}`, n + 1));
        s.on("silent", () => {}); // never acknowledges
        const res = await ctl(s, { cmd: "socketEmitWithAck", event: "question", timeoutMs: 2000 }, "q1", 41);
        assert.deepEqual(res.answer, ["answer:q1", 42]);
        assert.equal(res.error, null);
        const viaFunc = await ctl(s, { cmd: "socketEmitWithAckFunc", event: "question", timeoutMs: 2000 }, "q2", 1);
        assert.deepEqual(viaFunc.answer, ["answer:q2", 2]);

        for (const cmd of ["socketEmitWithAck", "socketEmitWithAckFunc"]) {
          const t0 = Date.now();
          const late = await ctl(s, { cmd, event: "silent", timeoutMs: 300, allowError: true });
          const took = Date.now() - t0;
          assert.equal(late.timeout, true, `${cmd}: ${JSON.stringify(late)}`);
          assert.ok(took >= 250 && took < 3000, `${cmd} timed out after ${took} ms`);
        }
        // the socket keeps working, and a late answer is not mixed up with a later emit
        const again = await ctl(s, { cmd: "socketEmitWithAck", event: "question", timeoutMs: 2000 }, "q3", 0);
        assert.deepEqual(again.answer, ["answer:q3", 1]);
      });

      it("a handler waiting for this client's acknowledgement is released when the client leaves", async () => {
        const s = await clients.connected(srv.url);
        const id = s.id;
        const asked = new Promise((resolve) => s.on("silent", () => resolve())); // never answers
        // the server waits in the control handler itself, with no timeout
        ctl(s, { cmd: "socketEmitWithAck", event: "silent", inHandler: true }).catch(() => {});
        await asked;
        s.disconnect();
        const res = await srv.waitFor({ ev: "ack-result", id });
        assert.equal(res.disconnected, true, JSON.stringify(res));
        assert.equal((await srv.waitFor({ ev: "disconnect", id })).reason, "client namespace disconnect");
      });

      it("broadcast emitWithAck gets every answer, or a timeout with the answers received", async () => {
        const room = `acks-${setup.name}`;
        const socks = await Promise.all([0, 1, 2].map(() => clients.connected(srv.url)));
        for (const [i, s] of socks.entries()) {
          await ctl(s, { cmd: "join", target: [room] });
          s.on("poll", (q, cb) => cb({ from: i, q }));
        }
        const res = await ctl(socks[0], { cmd: "emitWithAck", rooms: [room], event: "poll", timeoutMs: 2000 }, "lunch?");
        assert.equal(res.error, null);
        assert.equal(res.answers.length, 3);
        assert.deepEqual(
          res.answers.map((a) => a[0].from).sort(),
          [0, 1, 2],
        );
        // socket.broadcast: every one but the sender
        const bc = await ctl(
          socks[0],
          { cmd: "emitWithAck", broadcast: true, rooms: [room], event: "poll", timeoutMs: 2000 },
          "b",
        );
        assert.deepEqual(
          bc.answers.map((a) => a[0].from).sort(),
          [1, 2],
        );
        // one socket never answers: the timeout, with the two answers that came
        socks[2].off("poll");
        socks[2].on("poll", () => {});
        const t0 = Date.now();
        const part = await ctl(
          socks[0],
          { cmd: "emitWithAck", rooms: [room], event: "poll", timeoutMs: 400, allowError: true },
          "late?",
        );
        assert.equal(part.timeout, true, JSON.stringify(part));
        assert.ok(Date.now() - t0 >= 350);
        assert.deepEqual(
          part.answers.map((a) => a[0].from).sort(),
          [0, 1],
        );
        // nobody selected: answered at once with no answers
        const none = await ctl(socks[0], { cmd: "emitWithAck", rooms: ["empty-room"], event: "poll", timeoutMs: 2000 });
        assert.deepEqual(none.answers, []);
        assert.equal(none.error, null);
      });
    });

    describe("binary", () => {
      it("decodes nested client Buffers and ArrayBuffers as []byte", async () => {
        const s = await clients.connected(srv.url);
        const ab = new Uint8Array([1, 2]).buffer;
        const res = await s
          .timeout(2000)
          .emitWithAck("describe", Buffer.from([1, 2, 3]), { a: { b: [Buffer.alloc(5), "x"] } }, ab, [
            Buffer.alloc(0),
          ]);
        assert.deepEqual(res, ["bytes:3", { a: { b: ["bytes:5", "string"] } }, "bytes:2", ["bytes:0"]]);
      });

      it("echoes nested binary both ways; it arrives as Buffer", async () => {
        const s = await clients.connected(srv.url);
        const ib = new Inbox(s);
        const big = Buffer.alloc(100_000, 7);
        s.emit("echo", { file: Buffer.from("hello"), list: [Buffer.from([0, 255]), { deep: big }] }, new Uint8Array([9]).buffer, "text");
        const [obj, ab, text] = await ib.wait("echo");
        assert.ok(Buffer.isBuffer(obj.file), `file is ${Object.prototype.toString.call(obj.file)}`);
        assert.equal(obj.file.toString(), "hello");
        assert.ok(Buffer.isBuffer(obj.list[0]));
        assert.deepEqual([...obj.list[0]], [0, 255]);
        assert.ok(Buffer.isBuffer(obj.list[1].deep));
        assert.ok(obj.list[1].deep.equals(big));
        assert.ok(Buffer.isBuffer(ab));
        assert.deepEqual([...ab], [9]);
        assert.equal(text, "text");
        // binary in acknowledgements, both ways
        const back = await s.timeout(2000).emitWithAck("echo-ack", { b: Buffer.from("ack") });
        assert.ok(Buffer.isBuffer(back.b));
        assert.equal(back.b.toString(), "ack");
        s.on("bin-question", (b, cb) => cb({ got: b.length, reply: Buffer.from([4, 5, 6]) }));
        const res = await ctl(s, { cmd: "socketEmitWithAck", event: "bin-question", timeoutMs: 2000 }, Buffer.alloc(10));
        assert.equal(res.answer[0].got, 10);
        // the server sees the client's reply Buffer as bytes and re-encodes it: it comes back binary
        assert.ok(Buffer.isBuffer(res.answer[0].reply), JSON.stringify(res.answer[0]));
        assert.deepEqual([...res.answer[0].reply], [4, 5, 6]);
      });
    });

    describe("rooms and broadcasting", () => {
      // a in red; b in red and blue; c in blue; o on /other
      async function trio(tag) {
        const [a, b, c] = await Promise.all([0, 1, 2].map(() => clients.connected(srv.url)));
        const o = await clients.connected(srv.url, "/other");
        const red = `red-${tag}`;
        const blue = `blue-${tag}`;
        await ctl(a, { cmd: "join", target: [red] });
        await ctl(b, { cmd: "join", target: [red, blue] });
        await ctl(c, { cmd: "join", target: [blue] });
        const ib = { a: new Inbox(a), b: new Inbox(b), c: new Inbox(c), o: new Inbox(o) };
        return { a, b, c, o, red, blue, ib };
      }

      // who returns the sockets (of a, b, c, o) that got the event named ev with payload tag
      async function who(t, ev, tag) {
        await fence(Object.values(t.ib));
        return Object.entries(t.ib)
          .filter(([, ib]) => ib.named(ev).some((e) => e.args[0] === tag))
          .map(([k]) => k)
          .sort()
          .join("");
      }

      it("joins, leaves and lists rooms", async () => {
        const s = await clients.connected(srv.url);
        const r1 = await ctl(s, { cmd: "join", target: ["r1", "r2"] });
        assert.deepEqual(r1.rooms, ["r1", "r2", s.id].sort());
        const r2 = await ctl(s, { cmd: "leave", target: ["r1"] });
        assert.deepEqual(r2.rooms, ["r2", s.id].sort());
      });

      it("selects with to/in, except, broadcast, local, volatile and namespace-wide", async () => {
        const t = await trio(setup.name.slice(0, 4));
        const send = (cmd, tag) => ctl(t.a, { cmd: "emit", event: "news", ...cmd }, tag);
        await send({ rooms: [t.red] }, "to-red");
        assert.equal(await who(t, "news", "to-red"), "ab");
        await send({ rooms: [t.red, t.blue] }, "to-both");
        assert.equal(await who(t, "news", "to-both"), "abc", "a socket in two rooms gets it once");
        assert.equal(t.ib.b.named("news").filter((e) => e.args[0] === "to-both").length, 1);
        await send({ rooms: [t.red, t.blue], except: [t.blue] }, "except-blue");
        assert.equal(await who(t, "news", "except-blue"), "a");
        await send({ except: [t.red] }, "all-but-red");
        // every socket of "/" but red ones: c (and sockets of other tests, none of ours)
        assert.equal(await who(t, "news", "all-but-red"), "c");
        await send({ broadcast: true, rooms: [t.red] }, "socket-to-red");
        assert.equal(await who(t, "news", "socket-to-red"), "b", "socket.to excludes the sender");
        await send({ broadcast: true, rooms: [t.red, t.blue] }, "bc");
        assert.equal(await who(t, "news", "bc"), "bc");
        await send({ rooms: [t.red], local: true }, "local");
        assert.equal(await who(t, "news", "local"), "ab");
        await send({}, "everyone");
        assert.equal(await who(t, "news", "everyone"), "abc", "namespace-wide stays in its namespace");
        await send({ nsp: "/other" }, "other-nsp");
        assert.equal(await who(t, "news", "other-nsp"), "o");
        // volatile: delivered when the transport can take it now (always so for an idle
        // WebSocket); never an error, never a duplicate
        await send({ rooms: [t.red], volatile: true }, "volatile");
        const v = await who(t, "news", "volatile");
        assert.ok(["", "a", "b", "ab"].includes(v), v);
        if (setup.opts.transports?.[0] === "websocket") assert.equal(v, "ab");
      });

      it("fetchSockets, socketsJoin, socketsLeave and disconnectSockets", async () => {
        const t = await trio(`ops-${setup.name.slice(0, 4)}`);
        await ctl(t.b, { cmd: "setData", data: { user: "bob" } });
        const f = await ctl(t.a, { cmd: "fetchSockets", rooms: [t.red] });
        const byId = Object.fromEntries(f.sockets.map((x) => [x.id, x]));
        assert.deepEqual(Object.keys(byId).sort(), [t.a.id, t.b.id].sort());
        assert.deepEqual(byId[t.b.id].rooms, [t.red, t.blue, t.b.id].sort());
        assert.deepEqual(byId[t.b.id].data, { user: "bob" });

        const green = `green-${setup.name.slice(0, 4)}`;
        await ctl(t.a, { cmd: "socketsJoin", rooms: [t.blue], target: [green] });
        let g = await ctl(t.a, { cmd: "fetchSockets", rooms: [green] });
        assert.deepEqual(g.sockets.map((x) => x.id).sort(), [t.b.id, t.c.id].sort());
        await ctl(t.a, { cmd: "socketsLeave", rooms: [green], except: [t.red], target: [green] });
        g = await ctl(t.a, { cmd: "fetchSockets", rooms: [green] });
        assert.deepEqual(g.sockets.map((x) => x.id), [t.b.id]);

        const mark = srv.events.mark();
        const gone = [disconnectOf(t.b), disconnectOf(t.c)];
        const ids = [t.b.id, t.c.id]; // the client forgets its id on disconnect
        await ctl(t.a, { cmd: "disconnectSockets", rooms: [t.blue] });
        assert.deepEqual(await Promise.all(gone), ["io server disconnect", "io server disconnect"]);
        for (const id of ids) {
          const ev = await srv.waitFor({ ev: "disconnect", id }, undefined, { since: mark });
          assert.equal(ev.reason, "server namespace disconnect");
        }
        assert.ok(t.a.connected);
        assert.deepEqual((await ctl(t.a, { cmd: "fetchSockets", rooms: [t.blue] })).sockets, []);
      });

      it("disconnectSockets(true) closes the whole connection", async () => {
        const green = `dsc-${setup.name.slice(0, 4)}`;
        const a = await clients.connected(srv.url);
        const m = clients.manager(srv.url);
        const m1 = m.socket("/");
        const m2 = m.socket("/other");
        await Promise.all([connectOf(m1), connectOf(m2)]);
        await ctl(m1, { cmd: "join", target: [green] });
        const closed = [disconnectOf(m1), disconnectOf(m2)];
        const engineClosed = new Promise((resolve) => m.engine.once("close", resolve));
        await ctl(a, { cmd: "disconnectSockets", rooms: [green], close: true });
        const reasons = await Promise.all(closed);
        // as Node: Disconnect(true) disconnects every namespace of the connection, m2 too
        assert.deepEqual(reasons, ["io server disconnect", "io server disconnect"]);
        await engineClosed;
      });
    });

    describe("lifecycle", () => {
      it('client disconnect: "client namespace disconnect", rooms readable while disconnecting', async () => {
        const s = await clients.connected(srv.url);
        await ctl(s, { cmd: "join", target: ["leaving-room"] });
        const id = s.id;
        s.disconnect();
        const ing = await srv.waitFor({ ev: "disconnecting", id });
        assert.equal(ing.reason, "client namespace disconnect");
        assert.deepEqual(ing.rooms, ["leaving-room", id].sort());
        const ed = await srv.waitFor({ ev: "disconnect", id });
        assert.equal(ed.reason, "client namespace disconnect");
      });

      it('server Disconnect(false): "server namespace disconnect", other namespaces stay', async () => {
        const m = clients.manager(srv.url);
        const a = m.socket("/");
        const b = m.socket("/other");
        await Promise.all([connectOf(a), connectOf(b)]);
        const id = a.id;
        const gone = disconnectOf(a);
        await ctl(a, { cmd: "disconnect", close: false });
        assert.equal(await gone, "io server disconnect");
        assert.equal((await srv.waitFor({ ev: "disconnect", id })).reason, "server namespace disconnect");
        assert.ok(b.connected);
        assert.deepEqual(await ackAll(b, "echo-ack", "still here"), ["still here"]);
      });

      it("server Disconnect(true): every namespace of the connection, then the connection", async () => {
        const m = clients.manager(srv.url);
        const a = m.socket("/");
        const b = m.socket("/other");
        await Promise.all([connectOf(a), connectOf(b)]);
        const ids = [a.id, b.id];
        const gone = [disconnectOf(a), disconnectOf(b)];
        const engineClosed = new Promise((resolve) => m.engine.once("close", resolve));
        await ctl(a, { cmd: "disconnect", close: true });
        const reasons = await Promise.all(gone);
        assert.deepEqual(reasons, ["io server disconnect", "io server disconnect"]);
        await engineClosed;
        for (const id of ids) {
          assert.equal((await srv.waitFor({ ev: "disconnect", id })).reason, "server namespace disconnect");
        }
      });

      it('the client closes its transport: "transport close"', async () => {
        const s = await clients.connected(srv.url);
        if (!setup.opts.transports) await upgraded(s);
        const id = s.id;
        const gone = disconnectOf(s);
        s.io.engine.close();
        await gone;
        assert.equal((await srv.waitFor({ ev: "disconnect", id })).reason, "transport close");
      });

      it('a malformed Socket.IO packet closes the connection: "forced close"', async () => {
        const bystander = await clients.connected(srv.url);
        const s = await clients.connected(srv.url);
        if (!setup.opts.transports) await upgraded(s);
        const id = s.id;
        const gone = disconnectOf(s);
        s.io.engine.write("9"); // an unknown Socket.IO packet type
        await gone;
        const ev = await srv.waitFor({ ev: "disconnect", id });
        assert.equal(ev.reason, "forced close");
        assert.deepEqual(await ackAll(bystander, "echo-ack", 1), [1]);
      });

      it("an oversized payload closes that connection alone", async () => {
        const bystander = await clients.connected(srv.url);
        const s = await clients.connected(srv.url);
        if (!setup.opts.transports) await upgraded(s);
        const id = s.id;
        const gone = disconnectOf(s, 10000);
        s.emit("echo", "x".repeat(1_100_000));
        const reason = await gone;
        assert.ok(["transport close", "transport error"].includes(reason), reason);
        const ev = await srv.waitFor({ ev: "disconnect", id }, 10000);
        assert.ok(["transport close", "transport error", "parse error"].includes(ev.reason), ev.reason);
        assert.deepEqual(await ackAll(bystander, "echo-ack", "ok"), ["ok"]);
      });
    });
  });
}

