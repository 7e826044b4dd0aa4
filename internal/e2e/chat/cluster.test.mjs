// The chat contract across servers: one private redis-server and two Parley chats on it
// (-redis), with peers on each, row by row. Every test gets its own two chats under its own
// -redis-key, so nothing one test leaves behind (sockets still disconnecting, history) is
// seen by the next. Peers of server A and of server B use the transports of each pairing.
// Also: a chat whose Redis is unreachable says so and still serves its own sockets.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  SSEStream,
  barrier,
  connectPeers,
  isBarrier,
  joinAll,
  keys,
  recentMs,
  startChat,
  startRedis,
} from "./chat.mjs";
import { hasProgram, binDir } from "../lib/server.mjs";
import { execFileSync } from "node:child_process";
import path from "node:path";

function hasRedisServer() {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const skip = !hasProgram("chat")
  ? `${path.join(binDir(), "chat")} not built (make chat-build)`
  : !hasRedisServer()
    ? "redis-server is not on PATH (make redis-server)"
    : false;

const WS = ["websocket", { transports: ["websocket"] }];
const POLL = ["polling", { transports: ["polling"] }];
const pairings = [
  ["websocket", WS, WS],
  ["polling", POLL, POLL],
  ["websocket on A, polling on B", WS, POLL],
];

let redis;
let keySeq = 0;

/** twoChats starts chats A and B on the shared Redis under a fresh key; stopped after t. */
async function twoChats(t) {
  const key = `chat-e2e-${process.pid}-${++keySeq}`;
  const args = ["-redis", redis.url, "-redis-key", key];
  const [A, B] = await Promise.all([startChat({ args }), startChat({ args })]);
  t.after(() => Promise.all([A.stop(), B.stop()]));
  return { A, B, key };
}

describe("several chat servers on one Redis", { skip }, () => {
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  for (const [pname, ta, tb] of pairings) {
    describe(`over ${pname}`, () => {
      /** peers connects names on A (ta) and on B (tb); returns them in the order given. */
      async function peers(t, { A, B }, onA, onB) {
        const a = await connectPeers(t, A.url, ta, onA.map((n) => `${n}@A`));
        const b = await connectPeers(t, B.url, tb, onB.map((n) => `${n}@B`));
        for (const p of [...a, ...b]) p.name = p.name.split("@")[0];
        return [...a, ...b];
      }

      test("user:online lists the users of both servers; others get the join notice", async (t) => {
        const chats = await twoChats(t);
        const [alice, carol, bob] = await peers(t, chats, ["alice", "carol"], ["bob"]);
        const all = [alice, bob, carol];
        await joinAll([alice, bob], all);
        const marks = all.map((p) => p.mark());
        carol.emit("user:join", "carol");
        for (const [i, p] of all.entries()) {
          const list = await p.next("user:online", (v) => v.count === 3, marks[i]);
          assert.deepEqual(keys(list), ["count", "users"]);
          assert.deepEqual(list.users.map((u) => u.username), ["alice", "bob", "carol"]);
          for (const u of list.users) assert.ok(recentMs(u.joinedAt), `joinedAt ${u.joinedAt}`);
        }
        for (const p of [alice, bob]) {
          const m = await p.next("system:message", (v) => v.text === "carol joined the chat", marks[all.indexOf(p)]);
          assert.deepEqual(keys(m), ["text", "timestamp"]);
        }
        await barrier([carol], all);
        assert.deepEqual(carol.got("system:message", marks[2]), [], "the joiner does not get its own notice");
      });

      test("chat:message from either server reaches everyone", async (t) => {
        const chats = await twoChats(t);
        const all = await peers(t, chats, ["alice", "carol"], ["bob", "dave"]);
        const [alice, , bob] = all;
        await joinAll(all);
        for (const sender of [alice, bob]) {
          const marks = all.map((p) => p.mark());
          const text = `hello from ${sender.name}`;
          sender.emit("chat:message", { text });
          const got = await Promise.all(all.map((p, i) => p.next("chat:message", (m) => m.text === text, marks[i])));
          for (const m of got) {
            assert.deepEqual(keys(m), ["id", "text", "timestamp", "username"]);
            assert.equal(m.username, sender.name);
            assert.equal(typeof m.id, "string");
            assert.equal(m.id, got[0].id, "everyone gets the same message");
          }
        }
      });

      test("rooms: join notice, room messages and room history across servers", async (t) => {
        const chats = await twoChats(t);
        const all = await peers(t, chats, ["alice", "carol"], ["bob", "dave"]);
        const [alice, carol, bob, dave] = all;
        await joinAll(all);

        let marks = all.map((p) => p.mark());
        alice.emit("room:join", "lobby");
        await alice.next("room:history", (h) => h.room === "lobby", marks[0]);
        bob.emit("room:join", "lobby");
        const joined = await alice.next("system:message", (v) => v.text === "bob joined #lobby", marks[0]);
        assert.deepEqual(joined, { text: "bob joined #lobby", room: "lobby" });
        await bob.next("room:history", (h) => h.room === "lobby", marks[2]);

        marks = all.map((p) => p.mark());
        alice.emit("room:message", { room: "lobby", text: "lobby from A" });
        for (const [p, i] of [[alice, 0], [bob, 2]]) {
          const m = await p.next("chat:message", (v) => v.text === "lobby from A", marks[i]);
          assert.equal(m.room, "lobby");
          assert.equal(m.username, "alice");
        }
        bob.emit("room:message", { room: "lobby", text: "lobby from B" });
        await alice.next("chat:message", (v) => v.text === "lobby from B", marks[0]);
        const after = await barrier([alice, bob], all);
        for (const [p, i] of [[carol, 1], [dave, 3]]) {
          const room = p.log.filter((x) => x.ev === "chat:message" && !isBarrier(x.args[0]), marks[i]);
          assert.deepEqual(room, [], `${p.name} is not in the room`);
        }

        // Room history is shared: dave (B) joins and sees both messages, in order.
        dave.emit("room:join", "lobby");
        const h = await dave.next("room:history", (v) => v.room === "lobby", after[3]);
        assert.deepEqual(h.messages.map((m) => m.text), ["lobby from A", "lobby from B"]);
      });

      test("typing reaches the other servers' sockets, not the typist", async (t) => {
        const chats = await twoChats(t);
        const all = await peers(t, chats, ["alice", "carol"], ["bob"]);
        const [alice, carol, bob] = all;
        await joinAll(all);
        const marks = all.map((p) => p.mark());
        alice.emit("user:typing", { isTyping: true });
        for (const [p, i] of [[bob, 2], [carol, 1]]) {
          assert.deepEqual(await p.next("user:typing", () => true, marks[i]), { username: "alice", isTyping: true });
        }
        bob.emit("user:typing", { isTyping: false });
        assert.deepEqual(await alice.next("user:typing", () => true, marks[0]), { username: "bob", isTyping: false });
        await barrier([alice, bob], all);
        assert.deepEqual(alice.got("user:typing", marks[0]).filter((v) => v.username === "alice"), []);
        assert.deepEqual(bob.got("user:typing", marks[2]).filter((v) => v.username === "bob"), []);
      });

      test("chat:private to a user on the other server: delivered, and the ack says so", async (t) => {
        const chats = await twoChats(t);
        const all = await peers(t, chats, ["alice", "carol"], ["bob"]);
        const [alice, carol, bob] = all;
        await joinAll(all);
        const marks = all.map((p) => p.mark());
        assert.deepEqual(await alice.ack("chat:private", { to: "bob", text: "psst" }), { delivered: true });
        const pm = await bob.next("chat:private", () => true, marks[2]);
        assert.deepEqual(keys(pm), ["from", "text", "timestamp"]);
        assert.equal(pm.from, "alice");
        assert.equal(pm.text, "psst");
        assert.ok(recentMs(pm.timestamp));
        assert.deepEqual(await bob.ack("chat:private", { to: "carol", text: "back" }), { delivered: true });
        assert.equal((await carol.next("chat:private", () => true, marks[1])).from, "bob");

        assert.deepEqual(await alice.ack("chat:private", { to: "nobody", text: "hello?" }), {
          delivered: false,
          reason: "User not online",
        });
        assert.deepEqual(await bob.ack("chat:private", { to: "nobody", text: "hello?" }), {
          delivered: false,
          reason: "User not online",
        });
        await barrier([alice, bob], all);
        assert.equal(alice.got("chat:private", marks[0]).length, 0);
        assert.equal(bob.got("chat:private", marks[2]).length, 1);
      });

      test("history is shared: a message sent on A is in chat:history for a newcomer on B", async (t) => {
        const chats = await twoChats(t);
        const [alice] = await peers(t, chats, ["alice"], []);
        await joinAll([alice]);
        const m0 = alice.mark();
        alice.emit("chat:message", { text: "said on A" });
        const sent = await alice.next("chat:message", (v) => v.text === "said on A", m0);
        const [bob] = await peers(t, chats, [], ["bob"]);
        bob.emit("user:join", "bob");
        const hist = await bob.next("chat:history");
        assert.deepEqual(hist, [sent]);
      });

      test("a disconnect updates the online list on both servers, with the leave notice", async (t) => {
        const chats = await twoChats(t);
        const all = await peers(t, chats, ["alice"], ["bob", "carol"]);
        const [alice, bob, carol] = all;
        await joinAll(all);
        const marks = all.map((p) => p.mark());
        bob.close();
        for (const [p, i] of [[alice, 0], [carol, 2]]) {
          const list = await p.next("user:online", (v) => v.count === 2, marks[i]);
          assert.deepEqual(list.users.map((u) => u.username), ["alice", "carol"]);
          await p.next("system:message", (v) => v.text === "bob left the chat", marks[i]);
        }
        alice.close();
        const list = await carol.next("user:online", (v) => v.count === 1, marks[2]);
        assert.deepEqual(list.users.map((u) => u.username), ["carol"]);
        await carol.next("system:message", (v) => v.text === "alice left the chat", marks[2]);
      });
    });
  }

  test("SSE: each server's /api/events streams the joins and leaves of every server", async (t) => {
    const { A, B } = await twoChats(t);
    const sseA = new SSEStream(`${A.url}/api/events`);
    const sseB = new SSEStream(`${B.url}/api/events`);
    t.after(() => (sseA.close(), sseB.close()));
    await Promise.all([sseA.response, sseB.response]);
    const [alice] = await connectPeers(t, A.url, WS, ["alice"]);
    const [bob] = await connectPeers(t, B.url, POLL, ["bob"]);
    await joinAll([alice, bob]);
    bob.close();
    for (const sse of [sseA, sseB]) {
      for (const text of ["alice joined the chat", "bob joined the chat", "bob left the chat"]) {
        const ev = await sse.next((e) => e.event === "system:message" && JSON.parse(e.data).text === text);
        assert.match(ev.id, /^\d+$/, "notices carry an id");
        assert.ok(recentMs(JSON.parse(ev.data).timestamp));
      }
    }
  });

  test("with Redis unreachable, a chat says so and still serves its own sockets", async (t) => {
    const down = await startRedis(); // a port that is surely not Redis once this one stops
    const url = down.url;
    await down.stop();
    const srv = await startChat({ args: ["-redis", url, "-redis-key", "unreachable"] });
    t.after(() => srv.stop());
    const deadline = Date.now() + 5000; // stderr is its own pipe: the line may come after the URL
    while (!srv.stderr.some((l) => /level=ERROR.*redis unreachable/.test(l))) {
      assert.ok(Date.now() < deadline, `no "redis unreachable" error logged; ${srv.stderrTail()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = await connectPeers(t, srv.url, WS, ["alice", "bob"]);
    const [alice, bob] = all;
    await joinAll(all);
    const marks = all.map((p) => p.mark());
    alice.emit("chat:message", { text: "still here" });
    await bob.next("chat:message", (v) => v.text === "still here", marks[1]);
    assert.deepEqual(await alice.ack("chat:private", { to: "bob", text: "psst" }), { delivered: true });
    await bob.next("chat:private", (v) => v.text === "psst", marks[1]);
  });
});
