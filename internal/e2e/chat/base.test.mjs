// The contract's first table (docs/chat-contract.md), row by row, with several
// socket.io-client peers over each transport. These tests make no use of anything the
// exercises add, so they pass against the Node reference too (CHAT_SERVER_CMD), which is how
// they were checked.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import WebSocket from "ws";

import { once } from "../lib/wait.mjs";

import {
  SSEStream,
  barrier,
  chatFor,
  connectPeers,
  isBarrier,
  joinAll,
  keys,
  needsParley,
  recentMs,
  transports,
} from "./chat.mjs";

for (const transport of transports) {
  const [tname] = transport;
  describe(`contract rows over ${tname}`, { skip: needsParley }, () => {
    test("user:join: all get user:online, others get system:message", async (t) => {
      const srv = await chatFor(t);
      const [alice, bob, carol] = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const all = [alice, bob, carol];

      await joinAll([alice, bob], all); // carol stays anonymous: she still gets io.emit and broadcasts
      const marks = all.map((p) => p.mark());
      const before = Date.now();
      carol.emit("user:join", "carol");
      const lists = await Promise.all(
        all.map((p, i) => p.next("user:online", (v) => v.count === 3, marks[i])),
      );
      for (const list of lists) {
        assert.deepEqual(keys(list), ["count", "users"]);
        assert.equal(list.count, 3);
        assert.deepEqual(list.users.map((u) => u.username), ["alice", "bob", "carol"]);
        for (const u of list.users) {
          assert.deepEqual(keys(u), ["joinedAt", "username"]);
          assert.ok(recentMs(u.joinedAt), `joinedAt ${u.joinedAt}`);
        }
        assert.ok(list.users[2].joinedAt >= before - 5);
      }
      for (const p of [alice, bob]) {
        const m = await p.next("system:message", (v) => v.text === "carol joined the chat", marks[all.indexOf(p)]);
        assert.deepEqual(keys(m), ["text", "timestamp"]);
        assert.ok(recentMs(m.timestamp));
      }
      await barrier([alice, carol], all);
      assert.deepEqual(
        carol.got("system:message", marks[2]),
        [],
        "the joiner does not get its own system:message",
      );
    });

    test("user:join again: the socket keeps its place in the list, under its new name", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob, carol] = all;
      await joinAll(all);
      const marks = all.map((p) => p.mark());
      bob.emit("user:join", "robert");
      for (const [i, p] of all.entries()) {
        const list = await p.next("user:online", (v) => v.users.some((u) => u.username === "robert"), marks[i]);
        assert.deepEqual(list.users.map((u) => u.username), ["alice", "robert", "carol"]);
        assert.equal(list.count, 3);
      }
      for (const [i, p] of [alice, carol].entries()) {
        await p.next("system:message", (v) => v.text === "robert joined the chat", marks[[0, 2][i]]);
      }
      const m = bob.mark();
      alice.emit("chat:message", { text: "who is there?" });
      assert.equal((await bob.next("chat:message", (v) => v.text === "who is there?", m)).username, "alice");
      bob.emit("chat:message", { text: "me" });
      assert.equal((await alice.next("chat:message", (v) => v.text === "me", marks[0])).username, "robert");
    });

    test("chat:message: all get {id, text, username, timestamp}", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      await joinAll(all);
      const [alice] = all;
      const marks = all.map((p) => p.mark());
      alice.emit("chat:message", { text: "hello, world" });
      const got = await Promise.all(
        all.map((p, i) => p.next("chat:message", (m) => m.text === "hello, world", marks[i])),
      );
      for (const m of got) {
        assert.deepEqual(keys(m), ["id", "text", "timestamp", "username"]);
        assert.equal(typeof m.id, "string");
        assert.match(m.id, /^\S+$/);
        assert.equal(m.username, "alice");
        assert.ok(recentMs(m.timestamp));
        assert.deepEqual(m, got[0], "everyone gets the same message");
      }
    });

    test("room:join: room others get system:message {text, room}; joiner and outsiders do not", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob, carol] = all;
      await joinAll(all);
      alice.emit("room:join", "go");
      await barrier(alice, all); // alice is in #go before bob joins it
      const marks = all.map((p) => p.mark());
      bob.emit("room:join", "go");
      const m = await alice.next("system:message", (v) => v.text === "bob joined #go", marks[0]);
      assert.deepEqual(m, { text: "bob joined #go", room: "go" });
      await barrier(carol, all);
      assert.deepEqual(bob.got("system:message", marks[1]), [], "the joiner is not told");
      assert.deepEqual(carol.got("system:message", marks[2]), [], "outsiders are not told");
    });

    test("room:message: every member gets it (sender included if a member), outsiders do not", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob, carol] = all;
      await joinAll(all);
      alice.emit("room:join", "go");
      bob.emit("room:join", "go");
      await barrier([alice, bob], all);

      let marks = all.map((p) => p.mark());
      alice.emit("room:message", { room: "go", text: "in the room" });
      const got = await Promise.all(
        [alice, bob].map((p, i) => p.next("chat:message", (v) => v.text === "in the room", marks[i])),
      );
      for (const m of got) {
        assert.deepEqual(keys(m), ["id", "room", "text", "timestamp", "username"]);
        assert.equal(typeof m.id, "string");
        assert.equal(m.room, "go");
        assert.equal(m.username, "alice");
        assert.ok(recentMs(m.timestamp));
      }
      await barrier(bob, all);
      assert.deepEqual(carol.got("chat:message", marks[2]).filter((m) => !isBarrier(m)), []);

      // io.to(room) includes the sender only if it is in the room.
      marks = all.map((p) => p.mark());
      carol.emit("room:message", { room: "go", text: "from outside" });
      for (const [i, p] of [alice, bob].entries()) {
        const m = await p.next("chat:message", (v) => v.text === "from outside", marks[i]);
        assert.equal(m.username, "carol");
        assert.equal(m.room, "go");
      }
      await barrier(alice, all);
      assert.deepEqual(carol.got("chat:message", marks[2]).filter((m) => !isBarrier(m)), []);
    });

    test("room:leave: nothing is sent; the leaver no longer gets the room's messages", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob] = all;
      await joinAll(all);
      alice.emit("room:join", "go");
      bob.emit("room:join", "go");
      await barrier([alice, bob], all);
      const marks = all.map((p) => p.mark());
      bob.emit("room:leave", "go");
      await barrier(bob, all);
      for (const [i, p] of all.entries()) {
        const extra = p.log.filter((e) => !(e.ev === "chat:message" && isBarrier(e.args[0])), marks[i]);
        assert.deepEqual(extra, [], `${p.name} got something for room:leave`);
      }
      const m2 = all.map((p) => p.mark());
      alice.emit("room:message", { room: "go", text: "after bob left" });
      await alice.next("chat:message", (v) => v.text === "after bob left", m2[0]);
      await barrier(alice, all);
      assert.deepEqual(bob.got("chat:message", m2[1]).filter((m) => !isBarrier(m)), []);
    });

    test("user:typing: others get {username, isTyping}; the typist does not", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob, carol] = all;
      await joinAll(all);
      const marks = all.map((p) => p.mark());
      alice.emit("user:typing", { isTyping: true });
      for (const [i, p] of [bob, carol].entries()) {
        const v = await p.next("user:typing", () => true, marks[i + 1]);
        assert.deepEqual(v, { username: "alice", isTyping: true });
      }
      alice.emit("user:typing", { isTyping: false });
      for (const [i, p] of [bob, carol].entries()) {
        const v = await p.next("user:typing", (x) => x.isTyping === false, marks[i + 1]);
        assert.deepEqual(v, { username: "alice", isTyping: false });
      }
      await barrier(bob, all);
      assert.deepEqual(alice.got("user:typing", marks[0]), []);
    });

    test("chat:private: the named user gets {from, text, timestamp}; the ack says delivered", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol"]);
      const [alice, bob, carol] = all;
      await joinAll(all);
      const marks = all.map((p) => p.mark());
      const ack = await alice.ack("chat:private", { to: "bob", text: "psst" });
      assert.deepEqual(ack, { delivered: true });
      const m = await bob.next("chat:private", () => true, marks[1]);
      assert.deepEqual(keys(m), ["from", "text", "timestamp"]);
      assert.equal(m.from, "alice");
      assert.equal(m.text, "psst");
      assert.ok(recentMs(m.timestamp));

      const nack = await alice.ack("chat:private", { to: "nobody", text: "hello?" });
      assert.deepEqual(nack, { delivered: false, reason: "User not online" });
      await barrier(bob, all);
      assert.deepEqual(carol.got("chat:private", marks[2]), [], "a third user sees nothing");
      assert.deepEqual(alice.got("chat:private", marks[0]), [], "the sender gets no copy");
    });

    test("disconnect: all get user:online without it and system:message '<name> left the chat'", async (t) => {
      const srv = await chatFor(t);
      const all = await connectPeers(t, srv.url, transport, ["alice", "bob", "carol", "dave"]);
      const [alice, bob, carol, dave] = all;
      await joinAll([alice, bob, carol], all); // dave never joins
      let marks = all.map((p) => p.mark());
      carol.close();
      for (const [i, p] of [alice, bob, dave].entries()) {
        const idx = [0, 1, 3][i];
        const list = await p.next("user:online", (v) => v.count === 2, marks[idx]);
        assert.deepEqual(list.users.map((u) => u.username), ["alice", "bob"]);
        const m = await p.next("system:message", (v) => v.text === "carol left the chat", marks[idx]);
        assert.deepEqual(keys(m), ["text", "timestamp"]);
        assert.ok(recentMs(m.timestamp));
      }

      // A socket that never joined: the list is sent again, but no one "left the chat".
      marks = all.map((p) => p.mark());
      dave.close();
      for (const [i, p] of [alice, bob].entries()) {
        const list = await p.next("user:online", () => true, marks[i]);
        assert.deepEqual(list.users.map((u) => u.username), ["alice", "bob"]);
        assert.equal(list.count, 2);
      }
      await barrier(alice, [alice, bob]);
      for (const [i, p] of [alice, bob].entries()) {
        assert.deepEqual(p.got("system:message", marks[i]), []);
      }
    });
  });
}

describe("GET /api/events (reference behaviour)", { skip: needsParley }, () => {
  test("answers text/event-stream, no-cache, and a heartbeat every 5 s in the reference's bytes", { timeout: 30000 }, async (t) => {
    const srv = await chatFor(t);
    const sse = new SSEStream(`${srv.url}/api/events`);
    t.after(() => sse.close());
    const res = await sse.response;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const first = await sse.next((e) => e.event === undefined && e.data?.includes("heartbeat"), 9000);
    const second = await sse.next((e) => e !== first && e.data?.includes("heartbeat"), 9000, sse.log.all.indexOf(first) + 1);
    for (const hb of [first, second]) {
      // JSON.stringify({timestamp: Date.now(), message: "heartbeat"}) then "data: ...\n\n".
      assert.match(hb.raw, /^data: \{"timestamp":\d{13},"message":"heartbeat"\}\n\n$/);
      assert.equal(hb.id, undefined, "a heartbeat has no id");
      assert.ok(recentMs(JSON.parse(hb.data).timestamp));
    }
    const d = JSON.parse(second.data).timestamp - JSON.parse(first.data).timestamp;
    assert.ok(d > 4000 && d < 6500, `heartbeats ${d} ms apart`);
  });
});

describe("contract rows with the transports mixed", { skip: needsParley }, () => {
  test("websocket, polling and upgraded peers hear each other", async (t) => {
    const srv = await chatFor(t);
    const byName = Object.fromEntries(transports.map(([n]) => [n, null]));
    const all = [];
    for (const tr of transports) {
      const [p] = await connectPeers(t, srv.url, tr, [`${tr[0]}-user`]);
      byName[tr[0]] = p;
      all.push(p);
    }
    await joinAll(all);
    for (const from of all) {
      const marks = all.map((p) => p.mark());
      from.emit("chat:message", { text: `from ${from.name}` });
      for (const [i, p] of all.entries()) {
        const m = await p.next("chat:message", (v) => v.text === `from ${from.name}`, marks[i]);
        assert.equal(m.username, from.name);
      }
    }
    for (const [i, from] of all.entries()) {
      const to = all[(i + 1) % all.length];
      const m = to.mark();
      assert.deepEqual(await from.ack("chat:private", { to: to.name, text: `hi ${to.name}` }), { delivered: true });
      const got = await to.next("chat:private", () => true, m);
      assert.equal(got.from, from.name);
    }
    for (const p of all) p.emit("room:join", "mix");
    await barrier(all, all);
    const marks = all.map((p) => p.mark());
    all[0].emit("room:message", { room: "mix", text: "mixed room" });
    for (const [i, p] of all.entries()) await p.next("chat:message", (v) => v.text === "mixed room", marks[i]);
    const last = all.at(-1);
    const rest = all.slice(0, -1);
    const m2 = rest.map((p) => p.mark());
    last.close();
    for (const [i, p] of rest.entries()) {
      await p.next("system:message", (v) => v.text === `${last.name} left the chat`, m2[i]);
      const list = await p.next("user:online", () => true, m2[i]);
      assert.deepEqual(list.users.map((u) => u.username), rest.map((q) => q.name));
    }
  });
});

describe("the reference's server options", { skip: needsParley }, () => {
  test("ping interval 25 s, ping timeout 60 s, CORS open to any origin for GET and POST", async (t) => {
    const srv = await chatFor(t);
    const origin = "http://elsewhere.example";
    // The Engine.IO handshake, over polling and over WebSocket.
    const res = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    const handshakes = [JSON.parse((await res.text()).replace(/^0/, ""))];
    const ws = new WebSocket(`${srv.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    t.after(() => ws.close());
    const [first] = await once(ws, "message");
    handshakes.push(JSON.parse(String(first).replace(/^0/, "")));
    for (const hs of handshakes) {
      assert.equal(hs.pingInterval, 25000);
      assert.equal(hs.pingTimeout, 60000);
    }
    const pre = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
    });
    assert.ok(pre.status === 204 || pre.status === 200, `preflight status ${pre.status}`);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    const methods = (pre.headers.get("access-control-allow-methods") ?? "").split(",").map((m) => m.trim());
    assert.ok(methods.includes("GET") && methods.includes("POST"), `allowed methods ${methods}`);
  });
});
