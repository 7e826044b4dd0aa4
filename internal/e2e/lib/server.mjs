// Server processes for end-to-end tests. startServer runs one of the project's Go programs
// ($PARLEY_BIN/<name>) on an ephemeral port, reads its {"ev":"listening","addr":...} line and
// hands back its URL and the stream of its later JSON lines. Every process started here is
// killed, by its PID, when the test file's hooks stop it or, at the latest, when this Node
// process exits.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";

import { EventLog } from "./events.mjs";
import { scaled, withTimeout } from "./wait.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's root (lib/ is internal/e2e/lib). */
export const REPO_ROOT = path.resolve(here, "../../..");

/** binDir is where the Go programs are: $PARLEY_BIN, else <repo>/.cache/bin (make's default). */
export function binDir() {
  return path.resolve(process.env.PARLEY_BIN || path.join(REPO_ROOT, ".cache", "bin"));
}

/** hasProgram reports whether the program binName has been built (for skipping tests early). */
export function hasProgram(binName) {
  return existsSync(path.join(binDir(), binName));
}

/** skipUnless returns a node:test `skip` value: false when binName exists, else the reason. */
export function skipUnless(binName) {
  return hasProgram(binName)
    ? false
    : `${path.join(binDir(), binName)} not built (its source is not in the tree yet?)`;
}

const live = new Set(); // every ServerProcess not yet known to be gone

function killAllNow() {
  for (const s of live) s.killNow();
}
process.on("exit", killAllNow);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    killAllNow();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[sig] ?? 0));
  });
}

const STDERR_LINES = 200;

/** ServerProcess is one running server program. */
export class ServerProcess {
  constructor(name, proc) {
    this.name = name;
    this.proc = proc;
    this.pid = proc.pid;
    this.url = "";
    this.addr = "";
    this.port = 0;
    this.paused = false;
    this.stopping = false;
    this.exit = null; // {code, signal} once exited
    this.stderr = [];
    this.events = new EventLog(() => this.stderrTail());
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.events.end(
          `${this.name} (pid ${this.pid}) exited with ${signal ? `signal ${signal}` : `code ${code}`}`,
        );
        resolve(this.exit);
      });
    });
    proc.on("error", (err) => {
      this.stderr.push(`[spawn error] ${err.message}`);
      this.events.end(`${this.name} could not run: ${err.message}`);
    });
    live.add(this);

    const verbose = Boolean(process.env.E2E_VERBOSE);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      if (verbose) process.stderr.write(`[${name} out] ${line}\n`);
      let ev;
      try {
        ev = JSON.parse(line);
      } catch {
        ev = { ev: "raw", line };
      }
      if (ev === null || typeof ev !== "object") ev = { ev: "raw", line };
      this.events.push(ev);
    });
    createInterface({ input: proc.stderr }).on("line", (line) => {
      if (verbose) process.stderr.write(`[${name} err] ${line}\n`);
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES) this.stderr.shift();
    });
  }

  /** stderrTail returns the last lines the program wrote on stderr, for failure messages. */
  stderrTail(n = 30) {
    if (this.stderr.length === 0) return `${this.name} stderr: (empty)`;
    return `${this.name} stderr (last ${Math.min(n, this.stderr.length)} lines):\n  ${this.stderr.slice(-n).join("\n  ")}`;
  }

  /** waitFor is events.waitFor: the first JSON line matching pred (function or subset object). */
  waitFor(pred, timeoutMs, opts) {
    return this.events.waitFor(pred, timeoutMs, opts);
  }

  /** pause stops the process (SIGSTOP): it answers nothing, as a hung server would. */
  pause() {
    if (this.exit) throw new Error(`${this.name} already exited`);
    process.kill(this.pid, "SIGSTOP");
    this.paused = true;
  }

  /** resume continues a paused process (SIGCONT). */
  resume() {
    if (this.paused && !this.exit) process.kill(this.pid, "SIGCONT");
    this.paused = false;
  }

  /** killNow sends SIGCONT then SIGKILL at once (used at process exit). */
  killNow() {
    if (this.exit) return;
    try {
      if (this.paused) process.kill(this.pid, "SIGCONT");
      process.kill(this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  /**
   * stop ends the process: SIGTERM (after SIGCONT if paused), then SIGKILL if it is still there
   * after graceMs. It resolves with {code, signal, killed}. It rejects if the program had died
   * on its own before stop (a crash), or wrote a Go panic or a data race report on stderr.
   */
  async stop(graceMs = scaled(5000)) {
    const crashedBefore = this.exit && !this.stopping;
    this.stopping = true;
    let killed = false;
    if (!this.exit) {
      this.resume();
      try {
        process.kill(this.pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
      const timer = setTimeout(() => {
        killed = true;
        this.killNow();
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    const bad = this.stderr.find((l) => /^(panic: |fatal error: |WARNING: DATA RACE)/.test(l));
    if (crashedBefore || bad) {
      throw new Error(
        `${this.name} (pid ${this.pid}) ${crashedBefore ? `died during the test (${JSON.stringify(this.exit)})` : `reported "${bad}"`}\n${this.stderrTail(60)}`,
      );
    }
    return { ...this.exit, killed };
  }
}

/**
 * startProcess runs cmd with args and waits for its first {"ev":"listening","addr":...} line.
 * Options: name (for messages), env (added to the environment), cwd, startTimeoutMs.
 * @returns {Promise<ServerProcess>}
 */
export async function startProcess(cmd, args = [], opts = {}) {
  const name = opts.name ?? path.basename(cmd);
  const proc = spawn(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const srv = new ServerProcess(name, proc);
  const startMs = opts.startTimeoutMs ?? scaled(15000);
  try {
    const ev = await srv.events.waitFor((e) => e.ev === "listening", startMs, {
      what: `${name} to print {"ev":"listening","addr":...} (command: ${cmd} ${args.join(" ")})`,
    });
    if (typeof ev.addr !== "string" || !/:\d+$/.test(ev.addr)) {
      throw new Error(`${name}: listening line without a host:port addr: ${JSON.stringify(ev)}`);
    }
    srv.addr = ev.addr;
    srv.port = Number(ev.addr.slice(ev.addr.lastIndexOf(":") + 1));
    srv.url = `http://${ev.addr}`;
  } catch (err) {
    srv.killNow();
    throw err;
  }
  return srv;
}

/**
 * startServer runs the project's program $PARLEY_BIN/<binName> with `-addr 127.0.0.1:0` and the
 * given extra args, and resolves when it listens. The caller stops it (srv.stop()) in an
 * after-hook; useServer does that for a whole test file or suite.
 * @returns {Promise<ServerProcess>}
 */
export async function startServer(binName, args = [], opts = {}) {
  const bin = path.join(binDir(), binName);
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} does not exist: build the Go programs first ('make e2e-build' from the repository root) or set PARLEY_BIN`,
    );
  }
  return startProcess(bin, ["-addr", "127.0.0.1:0", ...args], { name: binName, ...opts });
}

/**
 * useServer starts binName in a before-hook and stops it in an after-hook of the enclosing
 * describe (or the file). It returns a handle whose properties (url, port, events, waitFor,
 * pause, ...) read through to the running ServerProcess once the hook has run.
 */
export function useServer(binName, args = [], opts = {}) {
  let srv = null;
  before(async () => {
    srv = await startServer(binName, args, opts);
  });
  after(async () => {
    if (srv) await srv.stop();
  });
  return new Proxy(
    {},
    {
      get(_, key) {
        if (!srv) throw new Error(`useServer(${binName}): server not started (used outside a test?)`);
        const v = srv[key];
        return typeof v === "function" ? v.bind(srv) : v;
      },
    },
  );
}

/** stopAll stops every process started by this module that is still running. */
export async function stopAll() {
  await Promise.allSettled([...live].map((s) => s.stop()));
}
