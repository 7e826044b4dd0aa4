// EventLog keeps the JSON lines a server program prints on stdout ({"ev":...}) and lets tests
// wait for one of them, with a deadline, without racing: waits look at the whole history (or
// from a mark), so an event that came before the wait began still counts.

import { DEFAULT_TIMEOUT_MS, TimeoutError } from "./wait.mjs";

/**
 * matches reports whether ev satisfies pred: a function (called with the event) or an object
 * whose every key must equal the event's (a subset match, e.g. {ev: "close", sid}).
 */
export function matches(pred, ev) {
  if (typeof pred === "function") return Boolean(pred(ev));
  for (const [k, v] of Object.entries(pred)) {
    if (ev[k] !== v) return false;
  }
  return true;
}

function describePred(pred) {
  return typeof pred === "function" ? pred.toString().slice(0, 120) : JSON.stringify(pred);
}

/** EventLog is the ordered list of events of one process, with waits and an async iterator. */
export class EventLog {
  /** @param {() => string} context returns extra text (e.g. the stderr tail) for failures */
  constructor(context = () => "") {
    this.all = [];
    this.ended = null; // a string saying why no more events will come
    this.context = context;
    this.wakers = new Set();
  }

  /** push appends one event and wakes the waits. */
  push(ev) {
    this.all.push(ev);
    for (const w of [...this.wakers]) w();
  }

  /** end records that the stream is over (the process exited); pending waits fail at once. */
  end(why) {
    if (this.ended) return;
    this.ended = why;
    for (const w of [...this.wakers]) w();
  }

  /** mark returns a position; pass it as `since` to wait only for events after this point. */
  mark() {
    return this.all.length;
  }

  /** filter returns the events so far that match pred (optionally from a mark). */
  filter(pred, since = 0) {
    return this.all.slice(since).filter((ev) => matches(pred, ev));
  }

  /**
   * waitFor resolves with the first event (from `since`, default the start) that matches pred,
   * or rejects after timeoutMs, or as soon as the process is gone, with the recent events and
   * the context text in the message.
   * @param {Function|object} pred
   * @param {number} [timeoutMs]
   * @param {{since?: number, what?: string}} [opts]
   */
  waitFor(pred, timeoutMs = DEFAULT_TIMEOUT_MS, opts = {}) {
    const since = opts.since ?? 0;
    const what = opts.what ?? `event matching ${describePred(pred)}`;
    let scanned = since;
    return new Promise((resolve, reject) => {
      let timer;
      const done = (fn, v) => {
        clearTimeout(timer);
        this.wakers.delete(check);
        fn(v);
      };
      const check = () => {
        for (; scanned < this.all.length; scanned++) {
          if (matches(pred, this.all[scanned])) return done(resolve, this.all[scanned]);
        }
        if (this.ended) {
          done(reject, new Error(`${this.ended} while waiting for ${what}\n${this.recent()}`));
        }
      };
      timer = setTimeout(
        () => done(reject, new TimeoutError(what, timeoutMs, this.recent())),
        timeoutMs,
      );
      this.wakers.add(check);
      check();
    });
  }

  /** recent describes the last events and the context, for failure messages. */
  recent(n = 15) {
    const tail = this.all.slice(-n).map((e) => "  " + JSON.stringify(e));
    const ctx = this.context();
    return (
      `last ${tail.length} of ${this.all.length} events:\n${tail.join("\n") || "  (none)"}` +
      (ctx ? `\n${ctx}` : "")
    );
  }

  /** Iterates over every event in order (history first), ending when the process exits. */
  async *[Symbol.asyncIterator]() {
    for (let i = 0; ; i++) {
      while (i >= this.all.length) {
        if (this.ended) return;
        await new Promise((resolve) => {
          const w = () => {
            this.wakers.delete(w);
            resolve();
          };
          this.wakers.add(w);
        });
      }
      yield this.all[i];
    }
  }
}
