// Helpers for the example chat's end-to-end tests: start a chat server (Parley's, or any
// command given in the environment, such as the Node reference), connect socket.io-client
// sockets over a chosen transport, record everything each socket receives, and read
// /api/events as raw bytes.
//
// Environment:
//   CHAT_SERVER_CMD  a shell command that starts a chat server instead of $PARLEY_BIN/chat; it
//                    gets PORT (a free port picked here) and must print a line with its URL.
//                    Tests marked parleyOnly are skipped then (they check what the exercises
//                    add, which the reference does not do) unless CHAT_SERVER_EXERCISES=1.
//                    The command also gets CHAT_DB and, in the auth tests, CHAT_AUTH_SECRET.
//   CHAT_TRANSPORTS  comma-separated subset of websocket,polling,upgrade (default: all three)

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { io } from "socket.io-client";

import { EventLog } from "../lib/events.mjs";
import { ServerProcess, binDir, hasProgram, REPO_ROOT } from "../lib/server.mjs";
import { DEFAULT_TIMEOUT_MS, once, scaled, withTimeout } from "../lib/wait.mjs";

export const externalCmd = process.env.CHAT_SERVER_CMD || "";

/** parleyOnly is a node:test skip value for tests of what the reference does not do. */
export const parleyOnly =
  externalCmd && !process.env.CHAT_SERVER_EXERCISES ? "checks an exercise the reference does not implement" : false;

/** needsParley is a skip value: false when the Parley chat binary is there (or a command is). */
export const needsParley =
  externalCmd || hasProgram("chat") ? false : `${path.join(binDir(), "chat")} not built (make chat-build)`;

const ALL_TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};

/** transports lists the transports to test: [name, socket.io-client options]. */
export const transports = Object.entries(ALL_TRANSPORTS).filter(([name]) => {
  const only = process.env.CHAT_TRANSPORTS;
  return !only || only.split(",").includes(name);
});

/** freePort asks the kernel for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const tempDirs = [];
process.on("exit", () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** tempDir returns a fresh directory, removed when this Node process exits. */
export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "parley-chat-"));
  tempDirs.push(dir);
  return dir;
}

const URL_LINE = /(https?:\/\/[^\s/]+):(\d+)/;

/**
 * startChat starts one chat server and resolves with its ServerProcess, whose url is set.
 * Options: env (added), db (history file; default a fresh one), args (Parley only).
 */
export async function startChat(opts = {}) {
  let proc;
  let name;
  const env = { ...process.env, ...(opts.env ?? {}) };
  env.CHAT_DB = opts.db ?? path.join(tempDir(), "chat.db");
  if (externalCmd) {
    name = "chat (external)";
    env.PORT = String(await freePort());
    proc = spawn("bash", ["-c", `exec ${externalCmd}`], { env, stdio: ["ignore", "pipe", "pipe"] });
  } else {
    name = "chat";
    env.PORT = "0";
    env.HOST = "127.0.0.1";
    // The chat is built with -race, whose runtime waits 1 s at exit by default; a tenth of
    // that still lets late reports out and saves a second per test.
    env.GORACE ??= "atexit_sleep_ms=100";
    env.CHAT_CLIENT_DIR = path.join(REPO_ROOT, "internal/e2e/node_modules/socket.io-client/dist");
    proc = spawn(path.join(binDir(), "chat"), opts.args ?? [], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }
  const srv = new ServerProcess(name, proc);
  try {
    const ev = await srv.waitFor((e) => e.ev === "raw" && URL_LINE.test(e.line), scaled(15000), {
      what: `${name} to print the URL it listens on`,
    });
    const [, , port] = URL_LINE.exec(ev.line);
    srv.port = Number(port);
    srv.addr = `127.0.0.1:${port}`;
    srv.url = `http://127.0.0.1:${port}`;
    srv.urlLine = ev.line;
  } catch (err) {
    srv.killNow();
    throw err;
  }
  return srv;
}

/**
 * Peer is one socket.io-client socket and the log of every event it received, in order, as
 * {ev, args}. Waits look at the whole log (or from a mark), so nothing is missed by racing.
 */
export class Peer {
  constructor(url, transportOpts, extra = {}) {
    this.log = new EventLog();
    this.socket = io(url, {
      ...transportOpts,
      forceNew: true,
      reconnection: false,
      timeout: scaled(5000),
      ...extra,
    });
    this.socket.onAny((ev, ...args) => this.log.push({ ev, args }));
  }

  /** connected resolves once the socket is connected (and upgraded, when upgrading is on). */
  async connected(transportName) {
    if (!this.socket.connected) await once(this.socket, "connect", DEFAULT_TIMEOUT_MS, ["connect_error"]);
    if (transportName === "upgrade") {
      const engine = this.socket.io.engine;
      if (engine.transport.name !== "websocket") {
        await withTimeout(
          new Promise((resolve) => engine.once("upgrade", resolve)),
          DEFAULT_TIMEOUT_MS,
          "the upgrade to websocket",
        );
      }
    }
    const want = transportName === "polling" ? "polling" : "websocket";
    const got = this.socket.io.engine.transport.name;
    if (got !== want) throw new Error(`transport is ${got}, want ${want}`);
    return this;
  }

  emit(ev, ...args) {
    this.socket.emit(ev, ...args);
  }

  /** ack emits and resolves with the acknowledgement's arguments' first value. */
  ack(ev, ...args) {
    return withTimeout(this.socket.timeout(DEFAULT_TIMEOUT_MS).emitWithAck(ev, ...args), DEFAULT_TIMEOUT_MS + 500, `ack of ${ev}`);
  }

  mark() {
    return this.log.mark();
  }

  /** next resolves with the first argument of the first `ev` since `since` matching pred. */
  async next(ev, pred = () => true, since = 0) {
    const e = await this.log.waitFor((x) => x.ev === ev && pred(x.args[0]), DEFAULT_TIMEOUT_MS, {
      since,
      what: `"${ev}" on ${this.name ?? "a peer"}`,
    });
    return e.args[0];
  }

  /** got returns the first arguments of every `ev` received since `since`. */
  got(ev, since = 0) {
    return this.log.filter((x) => x.ev === ev, since).map((x) => x.args[0]);
  }

  close() {
    this.socket.disconnect();
  }
}

/**
 * peers connects n sockets over the transport and closes them when the test ends (t.after).
 * names, when given, label the peers in failure messages.
 */
export async function connectPeers(t, url, [transportName, transportOpts], names, extra = {}) {
  const ps = names.map((n) => {
    const p = new Peer(url, transportOpts, extra);
    p.name = n;
    return p;
  });
  t.after(() => ps.forEach((p) => p.close()));
  await Promise.all(ps.map((p) => p.connected(transportName)));
  return ps;
}

let barrierSeq = 0;

/**
 * barrier makes sure every earlier emission from the server to each peer has arrived, and
 * that the server has handled everything each sender in `from` (a peer or an array) sent
 * before: each sender sends a chat:message that everyone gets (io.emit), and each peer waits
 * for all of them. A server handles one socket's packets in order and writes to one socket in
 * order, so whatever has not come before them is not coming. It returns each peer's mark
 * just after the barrier.
 */
export async function barrier(from, all) {
  const texts = [from].flat().map((p) => {
    const text = `barrier-${process.pid}-${++barrierSeq}`;
    p.emit("chat:message", { text });
    return text;
  });
  await Promise.all(
    all.flatMap((p) => texts.map((text) => p.next("chat:message", (m) => m && m.text === text))),
  );
  return all.map((p) => p.mark());
}

/** isBarrier reports whether a chat:message payload was one of barrier's. */
export const isBarrier = (m) => typeof m?.text === "string" && m.text.startsWith("barrier-");

/**
 * joinAll emits user:join on each peer in turn with its name, waiting each time until every
 * peer saw the new online list, the others saw the join's system:message and the joiner got its
 * chat:history (sent last, after the history is read), so that join order is the order given
 * and later marks see none of it.
 */
export async function joinAll(peers, all = peers) {
  for (const p of peers) {
    const marks = all.map((q) => q.mark());
    p.emit("user:join", p.name);
    await Promise.all(
      all.map(async (q, i) => {
        await q.next("user:online", (v) => v?.users?.some((u) => u.username === p.name), marks[i]);
        if (q !== p) await q.next("system:message", (v) => v?.text === `${p.name} joined the chat`, marks[i]);
        else await q.next("chat:history", () => true, marks[i]);
      }),
    );
  }
}

/** useChat starts a chat for each test of the enclosing suite (t => srv) and stops it after. */
export async function chatFor(t, opts) {
  const srv = await startChat(opts);
  t.after(() => srv.stop());
  return srv;
}

/** keys returns an object's keys, sorted, for exact payload shape checks. */
export const keys = (o) => Object.keys(o ?? {}).sort();

/** recentMs checks that v is a millisecond timestamp within the last minute. */
export function recentMs(v) {
  return typeof v === "number" && Number.isInteger(v) && Math.abs(Date.now() - v) < 60_000;
}

/**
 * SSEStream reads GET /api/events with fetch and keeps the raw text, so tests can check the
 * exact bytes, and parses it into events as EventSource would.
 */
export class SSEStream {
  constructor(url, headers = {}) {
    this.ac = new AbortController();
    this.raw = "";
    this.log = new EventLog();
    this.response = fetch(url, { headers, signal: this.ac.signal });
    this.done = this.response.then(async (res) => {
      const dec = new TextDecoder();
      let pending = "";
      try {
        for await (const chunk of res.body) {
          const s = dec.decode(chunk, { stream: true });
          this.raw += s;
          pending += s;
          let i;
          while ((i = pending.indexOf("\n\n")) >= 0) {
            const block = pending.slice(0, i + 2);
            pending = pending.slice(i + 2);
            this.log.push(parseBlock(block));
          }
        }
      } catch (err) {
        if (err.name !== "AbortError") this.log.end(`stream failed: ${err.message}`);
      }
      this.log.end("stream ended");
    }, (err) => {
      if (err.name !== "AbortError") this.log.end(`request failed: ${err.message}`);
    });
  }

  next(pred, ms = DEFAULT_TIMEOUT_MS, since = 0) {
    return this.log.waitFor(pred, ms, { since, what: `SSE event ${pred.toString().slice(0, 80)}` });
  }

  close() {
    this.ac.abort();
  }
}

function parseBlock(block) {
  const ev = { raw: block, id: undefined, event: undefined, data: undefined };
  const data = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const c = line.indexOf(":");
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? "" : line.slice(c + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "id") ev.id = value;
    else if (field === "event") ev.event = value;
  }
  if (data.length) ev.data = data.join("\n");
  return ev;
}

/** portFree reports whether the loopback port can be listened on now. */
function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * startRedis starts a private redis-server (no persistence) on a free loopback port of
 * 47000-47999 (redis-server cannot be asked to pick one; this range is the tests') and
 * resolves with its ServerProcess, whose url is redis://127.0.0.1:<port>, once it answers
 * PING. Stop it with srv.stop().
 */
export async function startRedis() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 47000 + Math.floor(Math.random() * 1000);
    if (!(await portFree(port))) continue;
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const srv = new ServerProcess("redis-server", proc);
    srv.port = port;
    srv.addr = `127.0.0.1:${port}`;
    srv.url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + scaled(10000);
    while (!srv.exit) {
      if (await redisPing(port)) return srv;
      if (Date.now() > deadline) {
        srv.killNow();
        throw new Error(`redis-server on ${srv.addr} did not answer PING`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // It exited: most likely someone took the port in between; try another.
  }
  throw new Error("could not start redis-server on a free port of 47000-47999");
}

/** redisPing reports whether a Redis server on the loopback port answers PING. */
export function redisPing(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let got = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      got += d;
      if (got.includes("\r\n")) done(got.startsWith("+PONG"));
    });
  });
}
