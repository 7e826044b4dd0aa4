// Small waiting helpers for end-to-end tests: every wait has a deadline and a message that says
// what was awaited, so a hung peer fails the test with a useful line instead of a bare timeout.

/** Default deadline of one wait, in milliseconds. Scaled by E2E_TIME_SCALE (e.g. 2 on a slow box). */
export const DEFAULT_TIMEOUT_MS = scaled(5000);

/** scaled multiplies a duration by the E2E_TIME_SCALE environment variable (default 1). */
export function scaled(ms) {
  const f = Number(process.env.E2E_TIME_SCALE || "1");
  return Math.round(ms * (Number.isFinite(f) && f > 0 ? f : 1));
}

/** TimeoutError is what every helper here rejects with when its deadline passes. */
export class TimeoutError extends Error {
  constructor(what, ms, detail) {
    super(`timed out after ${ms} ms waiting for ${what}${detail ? `\n${detail}` : ""}`);
    this.name = "TimeoutError";
  }
}

/**
 * withTimeout resolves like promise, or rejects with a TimeoutError naming `what` after ms.
 * detail, when a function, is called at timeout time to add context (recent events, stderr).
 */
export function withTimeout(promise, ms, what, detail) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new TimeoutError(what, ms, typeof detail === "function" ? detail() : detail));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * once waits for one `event` on an EventEmitter-like object (on/off, addEventListener, or
 * engine.io-client's Emitter) and resolves with its arguments as an array. If `failOn` names
 * other events (e.g. ["error", "close"]), their arrival rejects with their arguments.
 */
export function once(emitter, event, ms = DEFAULT_TIMEOUT_MS, failOn = []) {
  const offs = [];
  const p = new Promise((resolve, reject) => {
    offs.push(listen(emitter, event, (...args) => resolve(args)));
    for (const bad of failOn) {
      offs.push(
        listen(emitter, bad, (...args) =>
          reject(new Error(`got "${bad}" while waiting for "${event}": ${describe(args)}`)),
        ),
      );
    }
  });
  return withTimeout(p, ms, `event "${event}"`).finally(() => offs.forEach((off) => off()));
}

/** collect gathers the first n emissions of `event` (first argument of each) within ms. */
export function collect(emitter, event, n, ms = DEFAULT_TIMEOUT_MS) {
  const got = [];
  let off;
  const p = new Promise((resolve) => {
    off = listen(emitter, event, (arg) => {
      got.push(arg);
      if (got.length === n) resolve(got);
    });
  });
  return withTimeout(p, ms, `${n} "${event}" events`, () => `got only ${got.length}`).finally(
    () => off(),
  );
}

/** sleep resolves after ms. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** until polls check() every 20 ms until it returns a truthy value, which it resolves with. */
export async function until(check, ms = DEFAULT_TIMEOUT_MS, what = "a condition") {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new TimeoutError(what, ms);
    await sleep(20);
  }
}

function listen(emitter, event, fn) {
  if (typeof emitter.on === "function") {
    emitter.on(event, fn);
    return () => (emitter.off ? emitter.off(event, fn) : emitter.removeListener(event, fn));
  }
  emitter.addEventListener(event, fn);
  return () => emitter.removeEventListener(event, fn);
}

function describe(args) {
  return args
    .map((a) => (a instanceof Error ? a.message : typeof a === "object" ? safeJSON(a) : String(a)))
    .join(", ");
}

function safeJSON(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
