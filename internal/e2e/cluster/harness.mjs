// Processes and clients for the cluster tests: a private redis-server, two cluster test
// servers (cluster-test-server.md) started from shell commands, Socket.IO clients that
// record what they receive, and the external emitter program of §4.
//
// Every process is started in its own process group and stopped by its PID (SIGTERM to the
// group, SIGKILL after 5 s); ports are taken from 43000-43999 on 127.0.0.1.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io, Manager } from "socket.io-client";
import { createClient } from "redis";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "../../..");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** until polls check() until it returns a truthy value, or throws after ms. */
export async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await sleep(50);
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

const taken = new Set();
/** freePort returns a free TCP port of 127.0.0.1 in 43000-43999. */
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 43000 + Math.floor(Math.random() * 1000);
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free port in 43000-43999");
}

const live = new Set();
process.on("exit", () => {
  for (const p of live) p.killNow();
});

/** Proc is a child process in its own process group, with its output kept for reports. */
export class Proc {
  constructor(label, cmd, args, opts) {
    this.label = label;
    this.output = "";
    this.child = spawn(cmd, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...opts });
    const keep = (d) => {
      this.output += d.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    this.child.stdout.on("data", keep);
    this.child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => this.child.on("exit", (code, sig) => resolve({ code, sig })));
    this.exited.then(() => live.delete(this));
    live.add(this);
  }
  signal(sig) {
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }
  killNow() {
    this.signal("SIGKILL");
  }
  async stop() {
    if (!live.has(this)) return;
    this.signal("SIGTERM");
    const t = setTimeout(() => this.killNow(), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/** startRedis starts a private redis-server and returns {proc, url, port, client}. */
export async function startRedis() {
  const port = await freePort();
  const proc = new Proc("redis", "redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
  ]);
  proc.exited.then(({ code }) => (proc.dead = code));
  const url = `redis://127.0.0.1:${port}`;
  const client = createClient({ url });
  client.on("error", () => {});
  await until(async () => {
    if (proc.dead !== undefined) throw new Error(`redis-server exited: ${proc.output}`);
    if (!client.isOpen) await client.connect();
    return (await client.ping()) === "PONG";
  }, 10_000, "redis-server");
  return { proc, url, port, client };
}

/** startServer runs a cluster test server from a shell command and waits until it serves. */
export async function startServer(name, cmd, redisUrl, redisKey) {
  const port = await freePort();
  const proc = new Proc(`server ${name}`, "bash", ["-c", cmd], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), NAME: name, REDIS_URL: redisUrl, REDIS_KEY: redisKey },
  });
  let exited = null;
  proc.exited.then((r) => (exited = r));
  const url = `http://127.0.0.1:${port}`;
  await until(async () => {
    if (exited) throw new Error(`server ${name} exited (${JSON.stringify(exited)}): ${proc.output}`);
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    await res.arrayBuffer();
    return res.status === 200;
  }, 30_000, `server ${name} (${cmd}) to serve ${url}`);
  return { name, url, port, proc };
}

/** normalize turns received values into comparable JSON: binary becomes {$binary: base64}. */
export function normalize(v) {
  if (v instanceof ArrayBuffer) return { $binary: Buffer.from(v).toString("base64") };
  if (ArrayBuffer.isView(v)) return { $binary: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/** toBinary turns {$binary} placeholders back into Buffers (what a test sends). */
export function toBinary(v) {
  if (Array.isArray(v)) return v.map(toBinary);
  if (v && typeof v === "object") {
    if (typeof v.$binary === "string" && Object.keys(v).length === 1) return Buffer.from(v.$binary, "base64");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toBinary(x)]));
  }
  return v;
}

const opened = new Set();
export const OFFSET = /^[0-9]+-[0-9]+$/;

/**
 * Client is a Socket.IO client socket that records every event it receives. An event sent
 * with an acknowledgement is answered with {client: name, event, args} unless the client
 * is silent.
 */
export class Client {
  constructor(socket, name, { silent = false } = {}) {
    this.socket = socket;
    this.name = name;
    this.events = [];
    this.disconnects = [];
    socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      // With connection state recovery the server appends the packet's offset (a stream
      // entry id) to a broadcast; socket.io-client passes it on as a last argument.
      let offset = null;
      if (socket._pid && !ack && OFFSET.test(args[args.length - 1])) offset = args.pop();
      this.events.push({ event, args: normalize(args), offset });
      if (ack && !silent) ack({ client: name, event, args });
    });
    socket.on("disconnect", (reason) => this.disconnects.push(reason));
    opened.add(socket);
  }
  get id() {
    return this.socket.id;
  }
  received(event) {
    return this.events.filter((e) => e.event === event);
  }
  async waitFor(event, ms = 5000) {
    await until(() => this.received(event).length > 0, ms, `${this.name} to receive ${event}`);
    return this.received(event)[0];
  }
  close() {
    this.socket.disconnect();
    opened.delete(this.socket);
  }
}

/** connect opens a client on server's namespace nsp, with auth {name, rooms}. */
export async function connect(server, nsp, name, rooms = [], opts = {}) {
  const socket = opts.manager
    ? opts.manager.socket(nsp, { auth: { name, rooms } })
    : io(server.url + nsp, { transports: ["websocket"], forceNew: true, reconnection: false, auth: { name, rooms } });
  const c = new Client(socket, name, opts);
  if (opts.manager) socket.connect();
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} could not connect to ${server.url}${nsp}`)), 9000);
    socket.once("connect", () => {
      clearTimeout(t);
      resolve();
    });
    socket.once("connect_error", (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
  return c;
}

/** manager returns a Manager (one Engine.IO connection) for several namespaces of server. */
export function manager(server) {
  return new Manager(server.url, { transports: ["websocket"], reconnection: false, autoConnect: false });
}

export function closeAllClients() {
  for (const s of opened) s.disconnect();
  opened.clear();
}

/** Control is the /control connection to a server; send runs one command (§3). */
export class Control {
  constructor(client) {
    this.client = client;
  }
  static async open(server) {
    return new Control(await connect(server, "/control", `control-${server.name}`));
  }
  async send(cmd, fields = {}) {
    const res = await this.client.socket.timeout(9000).emitWithAck(cmd, fields);
    if (!res || res.ok !== true) throw new Error(`${cmd} failed: ${JSON.stringify(res)}`);
    return res;
  }
}

/** emitterCommand is the external emitter program: $EMITTER_CMD, else Parley's Go emitter. */
export function emitterCommand() {
  if (process.env.EMITTER_CMD) return process.env.EMITTER_CMD;
  const bin = path.resolve(process.env.PARLEY_BIN || path.join(REPO_ROOT, ".cache", "bin"), "emitter");
  return existsSync(bin) ? JSON.stringify(bin) : "go run ./internal/conformance/emitter";
}

/** runEmitter runs the external emitter once with op on standard input. */
export async function runEmitter(op, redisUrl, redisKey) {
  const child = spawn("bash", ["-c", emitterCommand()], {
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL: redisUrl, REDIS_KEY: redisKey },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  child.stdin.end(JSON.stringify(op));
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  if (code !== 0) throw new Error(`emitter exited with ${code}: ${out}`);
}

/**
 * TcpProxy is a TCP proxy on 127.0.0.1 whose target can be switched: the way to move a
 * client, with its own reconnection logic, from one server to another. With no target it
 * refuses connections (closes them at once). drop() cuts every connection (the client
 * sees "transport close").
 */
export class TcpProxy {
  static async start(target) {
    const p = new TcpProxy();
    p.target = target;
    p.conns = new Set();
    p.port = await freePort();
    p.url = `http://127.0.0.1:${p.port}`;
    p.server = net.createServer((down) => {
      const t = p.target;
      if (!t) return down.destroy();
      const up = net.connect(t.port, "127.0.0.1");
      const pair = { up, down, target: t };
      p.conns.add(pair);
      const end = () => {
        up.destroy();
        down.destroy();
        p.conns.delete(pair);
      };
      for (const s of [up, down]) {
        s.on("error", end);
        s.on("close", end);
      }
      down.pipe(up);
      up.pipe(down);
    });
    await new Promise((resolve, reject) => {
      p.server.once("error", reject);
      p.server.listen(p.port, "127.0.0.1", resolve);
    });
    return p;
  }
  /** route sets the server new connections go to (null: refuse them). */
  route(target) {
    this.target = target;
  }
  drop() {
    for (const { up, down } of this.conns) {
      up.destroy();
      down.destroy();
    }
    this.conns.clear();
  }
  close() {
    this.drop();
    return new Promise((resolve) => this.server.close(resolve));
  }
}
