// The chat's web page in headless Chromium (Debian's /usr/bin/chromium through playwright-core;
// no browser is downloaded): two people chat, see each other online and typing, meet in a
// room, one sends a private message and sees it delivered, the other reads it; a third sees
// the history on arrival; SSE notices show up. The page loads socket.io.min.js with its SRI
// hash, served from the npm package instead of the CDN (the same file). Screenshots go to
// $ARTIFACTS.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import { REPO_ROOT } from "../lib/server.mjs";
import { scaled } from "../lib/wait.mjs";
import { needsParley, startChat, tempDir } from "./chat.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = path.resolve(process.env.ARTIFACTS || path.join(REPO_ROOT, "test-artifacts"));
const T = scaled(10000);

const skip = needsParley || (existsSync(CHROMIUM) ? false : `${CHROMIUM} missing (apt-get install -y chromium)`);

describe("the chat page in Chromium", { skip, timeout: scaled(120000) }, () => {
  let srv;
  let browser;
  const errors = [];

  before(async () => {
    srv = await startChat();
    browser = await chromium.launchPersistentContext(tempDir(), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1100, height: 720 },
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  async function person(name, on = srv) {
    const page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`${name} console: ${m.text()}`));
    page.on("response", (r) => r.status() >= 400 && errors.push(`${name}: HTTP ${r.status()} for ${r.url()}`));
    await page.goto(on.url + "/");
    assert.equal(await page.evaluate(() => typeof window.io), "function", "socket.io client loaded (SRI ok)");
    await page.fill("#name", name);
    await page.click("#login-form button");
    await page.locator("#status.on").waitFor({ timeout: T });
    return page;
  }

  const msg = (page, text) => page.locator("#messages li.msg", { hasText: text });

  test("two people chat, meet in a room, and send a private message that is delivered", async () => {
    const alice = await person("alice");
    const bob = await person("bob");

    // Online list and SSE notice.
    await alice.locator('#online li[data-username="bob"]').waitFor({ timeout: T });
    assert.equal(await alice.textContent("#online-count"), "2");
    await alice.locator("#notifications li", { hasText: "bob joined the chat" }).waitFor({ timeout: T });
    await alice.locator("#messages li.sys", { hasText: "bob joined the chat" }).waitFor({ timeout: T });

    // Main chat, both ways.
    await alice.fill("#text", "hello from alice");
    await alice.press("#text", "Enter");
    await msg(bob, "hello from alice").waitFor({ timeout: T });
    await msg(alice, "hello from alice").waitFor({ timeout: T });

    // Typing indicator.
    await bob.type("#text", "hi al");
    await alice.locator("#typing", { hasText: "bob is typing" }).waitFor({ timeout: T });
    await bob.press("#text", "Enter");
    await msg(alice, "hi al").waitFor({ timeout: T });
    await alice.locator("#typing:empty").waitFor({ timeout: T });

    // A room.
    for (const p of [alice, bob]) {
      await p.fill("#room-name", "golang");
      await p.press("#room-name", "Enter");
      await p.locator('#tabs button[data-conv="#golang"].active').waitFor({ timeout: T });
    }
    await alice.locator("#messages li.sys", { hasText: "bob joined #golang" }).waitFor({ timeout: T });
    await bob.fill("#text", "in the room");
    await bob.press("#text", "Enter");
    await msg(alice, "in the room").waitFor({ timeout: T });

    // Private message with a delivery receipt.
    await alice.click('#online li[data-username="bob"]');
    await alice.locator("#private-to", { hasText: "bob" }).waitFor({ timeout: T });
    await alice.fill("#text", "a secret for bob");
    await alice.press("#text", "Enter");
    await alice.locator("#messages li.msg", { hasText: "a secret for bob" }).locator(".delivery.ok").waitFor({ timeout: T });
    const tab = bob.locator('#tabs button[data-conv="@alice"]');
    await tab.waitFor({ timeout: T });
    await tab.click();
    await msg(bob, "a secret for bob").waitFor({ timeout: T });

    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.screenshot({ path: path.join(ARTIFACTS, "chat-browser-alice.png") });
    await bob.screenshot({ path: path.join(ARTIFACTS, "chat-browser-bob.png") });

    // Someone who is gone: the receipt says so.
    await bob.close();
    await alice.locator('#online li[data-username="bob"]').waitFor({ state: "detached", timeout: T });
    await alice.fill("#text", "still there?");
    await alice.press("#text", "Enter");
    await alice
      .locator("#messages li.msg", { hasText: "still there?" })
      .locator(".delivery.bad", { hasText: "User not online" })
      .waitFor({ timeout: T });
    await alice.locator("#notifications li", { hasText: "bob left the chat" }).waitFor({ timeout: T });

    // A newcomer sees the history.
    const carol = await person("carol");
    await carol.locator("#messages li.msg.history", { hasText: "hello from alice" }).waitFor({ timeout: T });
    await carol.locator("#heartbeat", { hasText: /^heartbeat \d/ }).waitFor({ timeout: scaled(8000) });
    await carol.screenshot({ path: path.join(ARTIFACTS, "chat-browser-carol.png") });

    assert.deepEqual(errors, [], "no script errors on the pages");
  });

  test("with auth on, the page logs in first and connects with its token", async (t) => {
    const secured = await startChat({ env: { CHAT_AUTH_SECRET: "browser-secret" } });
    t.after(() => secured.stop());
    const dora = await person("dora", secured);
    await dora.locator('#online li[data-username="dora"]').waitFor({ timeout: T });
    const logins = await dora.evaluate(() =>
      performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/login")).length,
    );
    assert.equal(logins, 1, "the page called /api/login");
    await dora.fill("#text", "signed in");
    await dora.press("#text", "Enter");
    await msg(dora, "signed in").waitFor({ timeout: T });
    await dora.close();

    // A token the server did not sign: the page says the connection was refused, and why.
    const eve = await browser.newPage();
    await eve.route("**/api/login", (route) =>
      route.fulfill({ contentType: "application/json", body: JSON.stringify({ token: "forged.not.signed", expiresAt: 0 }) }),
    );
    await eve.goto(secured.url + "/");
    await eve.fill("#name", "eve");
    await eve.click("#login-form button");
    await eve.locator("#login-error", { hasText: "Connection refused: invalid token" }).waitFor({ timeout: T });
    assert.equal(await eve.isVisible("#app"), false);
    await eve.close();
    assert.deepEqual(errors, [], "no script errors on the pages");
  });
});
