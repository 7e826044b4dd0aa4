// Captures what Node's Redis packages put on Redis, as fixtures for the Go codec tests in
// socketio/redisadapter/testdata. Run from this folder after `npm ci`:
//
//   node capture-fixtures.mjs ../../../socketio/redisadapter/testdata
//
// It starts a private redis-server, two Socket.IO servers on the classic adapter (and later
// two on the streams adapter) in this process, a client on the second server, then runs
// labelled operations while a pattern subscriber records every Pub/Sub message. Stream
// entries are read back with XRANGE. Uids and request ids are random, so the fixtures keep
// them; the Go tests re-encode with the same ids and compare bytes.
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { createAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { freePort, sleep, startRedis } from "./harness.mjs";

const outDir = process.argv[2];
if (!outDir) {
  console.error("usage: node capture-fixtures.mjs <testdata dir>");
  process.exit(2);
}

const redis = await startRedis();
const clients = [];
async function client() {
  const c = createClient({ url: redis.url });
  c.on("error", () => {});
  await c.connect();
  clients.push(c);
  return c;
}

let label = "setup";
const captured = [];
const monitor = await client();
await monitor.pSubscribe("*", (message, channel) => {
  captured.push({ label, channel: channel.toString(), hex: message.toString("hex") });
}, true);

async function step(name, fn) {
  label = name;
  await fn();
  await sleep(150);
}

async function server(adapterFactory, name) {
  const http = createServer();
  const port = await freePort();
  const io = new Server(http, { adapter: adapterFactory });
  await new Promise((r) => http.listen(port, "127.0.0.1", r));
  io.of("/second");
  for (const nsp of [io.of("/"), io.of("/second")]) {
    nsp.on("sse:ping", (...args) => {
      const cb = args.pop();
      cb({ server: name, args });
    });
  }
  return { io, http, url: `http://127.0.0.1:${port}` };
}

function connectClient(url, name, rooms) {
  const s = ioc(url, { transports: ["websocket"], forceNew: true, auth: { name, rooms } });
  s.onAny((...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack({ client: name, payload: args[1] });
  });
  return new Promise((r) => s.once("connect", () => r(s)));
}

function joinFromAuth(io) {
  io.use((socket, next) => {
    socket.data = { name: socket.handshake.auth.name };
    socket.join(socket.handshake.auth.rooms ?? []);
    next();
  });
}

// ---- classic adapter and emitter ----
const [pA, sA, pB, sB] = await Promise.all([client(), client(), client(), client()]);
const A = await server(createAdapter(pA, sA), "A");
const B = await server(createAdapter(pB, sB), "B");
joinFromAuth(B.io);
await sleep(200);
const sock = await connectClient(B.url, "b1", ["r1"]);
await sleep(200);

await step("broadcast-all", () => A.io.emit("bcast", "text", 0, -1, 42, -200, 70000, 2 ** 40, -(2 ** 40), 1.5, -0.25,
  true, false, null, "ünïcødé ✓ 🎉", [], {}, { nested: { list: [1, "two", { three: 3 }], empty: "" } }));
await step("broadcast-room", () => A.io.to("r1").emit("room", "r1"));
await step("broadcast-rooms-except", () => A.io.to(["r1", "r2"]).except("x").emit("rooms"));
await step("broadcast-binary", () => A.io.emit("bin", Buffer.from([0, 1, 2, 253, 254, 255]), { inner: Buffer.from("héllo"), n: 1 }, "after"));
await step("broadcast-volatile", () => A.io.volatile.emit("vol"));
await step("broadcast-compress", () => A.io.compress(false).emit("nocomp"));
await step("broadcast-date", () => A.io.emit("date", new Date("2024-01-02T03:04:05.678Z"), new Date("2024-01-01T00:00:00Z")));
await step("broadcast-second", () => A.io.of("/second").emit("sec", 1));
await step("broadcast-big", () => A.io.emit("big", "x".repeat(70000), Buffer.alloc(70000, 7)));
await step("fetch-sockets", () => A.io.fetchSockets());
await step("all-rooms", () => A.io.of("/").adapter.allRooms());
await step("sockets-join", () => A.io.in("r1").socketsJoin(["j1", "j2"]));
await step("sockets-leave", () => A.io.except("r1").socketsLeave("j1"));
await step("disconnect-false", () => A.io.in("nobody").disconnectSockets(false));
await step("disconnect-true", () => A.io.in("nobody").disconnectSockets(true));
await step("sse-note", () => A.io.serverSideEmit("sse:note", "note", { from: "A", n: 1 }, [1, 2]));
await step("sse-ping", () => A.io.serverSideEmitWithAck("sse:ping", { q: "ping" }));
await step("broadcast-ack", () => A.io.timeout(1000).emitWithAck("ask", { q: "ask" }));
await step("broadcast-ack-binary", () => A.io.to("r1").timeout(1000).emitWithAck("askbin", Buffer.from([9, 8])));
const emitter = new Emitter(pA);
await step("emitter-emit", () => emitter.emit("em", "from-emitter", { n: 2, list: [true, null] }, 3.25));
await step("emitter-room-flags", () => emitter.to("r1").except("x").volatile.compress(true).emit("em2", Buffer.from([1])));
await step("emitter-second", () => emitter.of("second").emit("em3"));
await step("emitter-join", () => emitter.in("r1").socketsJoin("ej"));
await step("emitter-leave", () => emitter.except("r1").socketsLeave(["ej", "ek"]));
await step("emitter-disconnect", () => emitter.in("nobody").disconnectSockets(true));
await step("emitter-sse", () => emitter.serverSideEmit("emitter:note", { from: "emitter" }, Buffer.from([1, 2])));
sock.disconnect();
A.io.close();
B.io.close();
await sleep(200);

const classic = captured.splice(0).filter((m) => m.label !== "setup");
writeFileSync(path.join(outDir, "node-classic.json"), JSON.stringify(classic, null, 1) + "\n");

// ---- streams adapter ----
const streamOpts = { streamName: "cap-stream", channelPrefix: "cap", maxLen: 1000 };
const [pC, pD] = await Promise.all([client(), client()]);
const C = await server(createStreamsAdapter(pC, streamOpts), "C");
const D = await server(createStreamsAdapter(pD, streamOpts), "D");
joinFromAuth(D.io);
await sleep(500);
const sock2 = await connectClient(D.url, "d1", ["r1"]);
await sleep(300);
await step("s-broadcast", () => C.io.emit("hello", "world", 1));
await step("s-broadcast-binary", () => C.io.emit("bin", Buffer.from([1, 2, 3])));
await step("s-join", () => C.io.in("r1").socketsJoin("r2"));
await step("s-leave", () => C.io.in("r2").socketsLeave("r2"));
await step("s-disconnect", () => C.io.in("nobody").disconnectSockets(false));
await step("s-fetch", () => C.io.fetchSockets());
await step("s-sse", () => C.io.serverSideEmit("note", 1));
await step("s-sse-ack", () => C.io.serverSideEmitWithAck("sse:ping", "with-ack"));
await step("s-broadcast-ack", () => C.io.timeout(1000).emitWithAck("question", 42));
const entries = await pC.xRange("cap-stream", "-", "+");
sock2.disconnect();
C.io.close();
D.io.close();
await sleep(200);
const streams = { pubsub: captured.splice(0).filter((m) => m.label !== "setup"), entries };
writeFileSync(path.join(outDir, "node-streams.json"), JSON.stringify(streams, null, 1) + "\n");

for (const c of clients) await c.disconnect().catch(() => {});
await redis.client.disconnect().catch(() => {});
await redis.proc.stop();
console.log(`captured ${classic.length} classic messages, ${streams.pubsub.length} streams Pub/Sub messages, ${entries.length} stream entries`);
process.exit(0);
