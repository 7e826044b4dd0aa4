// Helpers of the Socket.IO end-to-end tests: the transport setups every test runs over, client
// construction with cleanup, the control protocol of internal/conformance/features, and fences
// that prove an event did NOT arrive.

import assert from "node:assert/strict";
import { afterEach } from "node:test";
import { io, Manager } from "socket.io-client";

import { once, withTimeout, DEFAULT_TIMEOUT_MS } from "../lib/wait.mjs";

/** The three transport setups of the official client that every test runs over. */
export const SETUPS = [
  { name: "websocket", opts: { transports: ["websocket"] } },
  { name: "polling", opts: { transports: ["polling"] } },
  { name: "default (polling, then upgrade)", opts: {} },
];

/** The setups selected by E2E_SIO_SETUPS (comma-separated names; default all). */
export function selectedSetups() {
  const want = process.env.E2E_SIO_SETUPS;
  if (!want) return SETUPS;
  const names = want.split(",").map((s) => s.trim());
  return SETUPS.filter((s) => names.some((n) => s.name.startsWith(n)));
}

/**
 * Clients tracks the clients of one test and closes them after it. make(url, nsp, opts)
 * returns a socket.io-client Socket on a Manager of its own (forceNew), without reconnection
 * unless opts asks for it.
 */
export class Clients {
  constructor(setup) {
    this.setup = setup;
    this.list = [];
    afterEach(() => this.closeAll());
  }

  socket(url, nsp = "/", opts = {}) {
    const s = io(url + nsp, {
      forceNew: true,
      reconnection: false,
      timeout: DEFAULT_TIMEOUT_MS,
      ...this.setup.opts,
      ...opts,
    });
    this.list.push(s);
    return s;
  }

  manager(url, opts = {}) {
    const m = new Manager(url, {
      reconnection: false,
      timeout: DEFAULT_TIMEOUT_MS,
      ...this.setup.opts,
      ...opts,
    });
    this.list.push(m);
    return m;
  }

  /** connected is socket() and waits for "connect" (connect_error fails). */
  async connected(url, nsp = "/", opts = {}) {
    const s = this.socket(url, nsp, opts);
    await connectOf(s);
    return s;
  }

  closeAll() {
    for (const c of this.list.splice(0)) {
      try {
        if (typeof c.disconnect === "function") c.disconnect();
        else c._close?.();
        c.io?.engine?.close?.();
        c.engine?.close?.();
      } catch {
        // already closed
      }
    }
  }
}

/** connectOf waits for the socket's "connect" (rejecting on connect_error). */
export async function connectOf(s, ms = DEFAULT_TIMEOUT_MS) {
  if (s.connected) return s;
  await once(s, "connect", ms, ["connect_error"]);
  return s;
}

/** connectError waits for the socket's connect_error and returns the Error. */
export async function connectError(s, ms = DEFAULT_TIMEOUT_MS) {
  const [err] = await once(s, "connect_error", ms, ["connect"]);
  return err;
}

/** ctl runs a command of the features server and returns its acknowledgement. */
export async function ctl(s, cmd, ...args) {
  const res = await s.timeout(DEFAULT_TIMEOUT_MS).emitWithAck("control", cmd, ...args);
  if (res && res.error && !cmd.allowError) {
    throw new Error(`control ${JSON.stringify(cmd)} failed: ${res.error}`);
  }
  return res;
}

/** ackAll emits with a callback and resolves with every argument of the acknowledgement. */
export function ackAll(s, event, ...args) {
  return withTimeout(
    new Promise((resolve) => s.emit(event, ...args, (...res) => resolve(res))),
    DEFAULT_TIMEOUT_MS,
    `acknowledgement of "${event}"`,
  );
}

/**
 * Inbox records every event a socket receives (onAny), so a test can wait for one and check
 * that another never came: events of one socket arrive in order, so after a later "fence"
 * event has arrived, anything sent before it that is not in the inbox was never delivered.
 */
export class Inbox {
  constructor(s) {
    this.s = s;
    this.events = [];
    this.wakers = new Set();
    s.onAny((event, ...args) => {
      this.events.push({ event, args });
      for (const w of [...this.wakers]) w();
    });
  }

  named(event) {
    return this.events.filter((e) => e.event === event);
  }

  /** wait resolves with the first event named `event` satisfying pred (history included). */
  wait(event, pred = () => true, ms = DEFAULT_TIMEOUT_MS) {
    return withTimeout(
      new Promise((resolve) => {
        const check = () => {
          const hit = this.events.find((e) => e.event === event && pred(...e.args));
          if (hit) {
            this.wakers.delete(check);
            resolve(hit.args);
          }
        };
        this.wakers.add(check);
        check();
      }),
      ms,
      `event "${event}" on socket ${this.s.id}`,
      () => `got: ${JSON.stringify(this.events.map((e) => e.event))}`,
    );
  }
}

let fenceSeq = 0;

/**
 * fence emits a unique "fence" event to each socket (through the server, one by one) and waits
 * until every inbox has it: whatever the server sent them before has arrived by then.
 */
export async function fence(inboxes) {
  const tag = `fence-${++fenceSeq}`;
  for (const ib of inboxes) {
    await ctl(ib.s, { cmd: "emit", rooms: [ib.s.id], event: "fence" }, tag);
  }
  await Promise.all(inboxes.map((ib) => ib.wait("fence", (t) => t === tag)));
}

/** upgraded waits until the socket's engine runs over WebSocket. */
export async function upgraded(s, ms = DEFAULT_TIMEOUT_MS) {
  const engine = s.io.engine;
  if (engine.transport.name === "websocket") return;
  await once(engine, "upgrade", ms);
  assert.equal(engine.transport.name, "websocket");
}

/** disconnectOf resolves with the reason of the socket's next "disconnect". */
export async function disconnectOf(s, ms = DEFAULT_TIMEOUT_MS) {
  const [reason] = await once(s, "disconnect", ms);
  return reason;
}
