// Handshake authentication (turned on with CHAT_AUTH_SECRET): POST /api/login issues an
// HMAC-signed JWT; the namespace middleware refuses a connection whose auth.token is
// missing, forged or expired, with a connect_error that says which, and sends that client
// nothing of the chat. Over each transport.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";

import { DEFAULT_TIMEOUT_MS, once, sleep, scaled } from "../lib/wait.mjs";
import { Peer, barrier, chatFor, connectPeers, joinAll, needsParley, parleyOnly, transports } from "./chat.mjs";

const SECRET = "e2e-secret-" + process.pid;
const env = { CHAT_AUTH_SECRET: SECRET };

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** jwt signs claims with HS256 and key, as any JWT library would. */
function jwt(claims, key = SECRET, header = { alg: "HS256", typ: "JWT" }) {
  const body = `${b64url(header)}.${b64url(claims)}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

async function login(url, username) {
  const res = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username }),
  });
  return { status: res.status, body: await res.json() };
}

/** refused connects with the auth payload and resolves with the connect_error. */
async function refused(t, url, [, transportOpts], auth) {
  const p = new Peer(url, transportOpts, auth === undefined ? {} : { auth });
  t.after(() => p.close());
  const [err] = await once(p.socket, "connect_error", DEFAULT_TIMEOUT_MS, ["connect"]);
  return { err, peer: p };
}

const skip = needsParley || parleyOnly;

describe("auth: login", { skip }, () => {
  test("/api/config says auth is on; /api/login issues a token, refuses a bad name", async (t) => {
    const srv = await chatFor(t, { env });
    assert.deepEqual(await (await fetch(`${srv.url}/api/config`)).json(), { auth: true });
    const ok = await login(srv.url, "ada");
    assert.equal(ok.status, 200);
    assert.match(ok.body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(ok.body.expiresAt > Date.now());
    const claims = JSON.parse(Buffer.from(ok.body.token.split(".")[1], "base64url"));
    assert.equal(claims.sub, "ada");
    for (const bad of ["", "   ", "x".repeat(33)]) {
      assert.equal((await login(srv.url, bad)).status, 400, `username ${JSON.stringify(bad)}`);
    }
  });
});

for (const transport of transports) {
  const [tname] = transport;
  describe(`auth over ${tname}`, { skip }, () => {
    test("a valid token connects; the name comes from the token", async (t) => {
      const srv = await chatFor(t, { env });
      const { body } = await login(srv.url, "ada");
      const [ada] = await connectPeers(t, srv.url, transport, ["ada"], { auth: { token: body.token } });
      const m = ada.mark();
      ada.emit("user:join", "someone-else");
      const list = await ada.next("user:online", () => true, m);
      assert.deepEqual(list.users.map((u) => u.username), ["ada"]);
    });

    test("missing, forged and expired tokens are refused with a clear connect_error, and get nothing", async (t) => {
      const srv = await chatFor(t, { env });
      const { body } = await login(srv.url, "ada");
      const [ada] = await connectPeers(t, srv.url, transport, ["ada"], { auth: { token: body.token } });
      await joinAll([ada]);
      const mark = ada.mark();
      const now = Math.floor(Date.now() / 1000);
      const cases = [
        ["no auth payload", undefined, "authentication required"],
        ["an empty token", { token: "" }, "authentication required"],
        ["a token signed with another secret", { token: jwt({ sub: "eve", exp: now + 3600 }, "not-the-secret") }, "invalid token"],
        ["a tampered token", { token: body.token.replace(/\.[\w-]+\./, `.${b64url({ sub: "eve", exp: now + 3600 })}.`) }, "invalid token"],
        ["garbage", { token: "not-a-jwt" }, "invalid token"],
        ["an unsigned token (alg none)", { token: `${b64url({ alg: "none" })}.${b64url({ sub: "eve", exp: now + 3600 })}.` }, "invalid token"],
        ["an expired token", { token: jwt({ sub: "ada", iat: now - 7200, exp: now - 3600 }) }, "token expired"],
      ];
      const peers = [];
      for (const [what, auth, message] of cases) {
        const { err, peer } = await refused(t, srv.url, transport, auth);
        assert.equal(err.message, message, `${what}: connect_error message`);
        assert.equal(peer.socket.connected, false);
        peers.push(peer);
      }
      await sleep(scaled(300));
      for (const [i, p] of peers.entries()) {
        assert.deepEqual(p.log.all, [], `${cases[i][0]}: the refused client got chat events`);
      }
      await barrier(ada, [ada]);
      assert.deepEqual(ada.got("user:online", mark), [], "refused clients never appear online");
      assert.deepEqual(ada.got("system:message", mark), []);
    });
  });
}
