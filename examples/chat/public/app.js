// The chat page: plain JavaScript over the official socket.io client (window.io).
// Conversations: "#" is the main chat, "#<room>" a room, "@<name>" private messages.
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, props = {}, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "class") n.className = v;
      else if (k === "dataset") Object.assign(n.dataset, v);
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v);
    }
    for (const c of children) n.append(c); // strings become text nodes: no HTML injection
    return n;
  };
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  const MAIN = "#";
  const state = {
    me: "",
    socket: null,
    active: MAIN,
    convs: new Map(), // id -> {id, title, items: [], unread}
    rooms: new Set(),
    typing: new Map(), // username -> timer
  };

  // ---- conversations ----------------------------------------------------------------

  function conv(id) {
    let c = state.convs.get(id);
    if (!c) {
      const title = id === MAIN ? "# general" : id;
      c = { id, title, items: [], unread: 0 };
      state.convs.set(id, c);
      renderTabs();
    }
    return c;
  }

  function add(id, item) {
    const c = conv(id);
    c.items.push(item);
    if (c.items.length > 500) c.items.shift();
    if (id === state.active) {
      $("#messages").append(renderItem(item));
      scrollDown();
    } else {
      c.unread++;
      renderTabs();
    }
    return item;
  }

  function replaceHistory(id, messages) {
    const c = conv(id);
    const earlier = messages.map((m) => ({ kind: "msg", m, history: true }));
    if (earlier.length) earlier.push({ kind: "divider", text: `${earlier.length} earlier message${earlier.length > 1 ? "s" : ""} above, new ones below` });
    c.items = earlier;
    if (id === state.active) renderMessages();
  }

  function closeConv(id) {
    state.convs.delete(id);
    if (state.active === id) state.active = MAIN;
    renderTabs();
    renderMessages();
  }

  function activate(id) {
    state.active = id;
    conv(id).unread = 0;
    renderTabs();
    renderMessages();
    const priv = id.startsWith("@");
    $("#private-to").hidden = !priv;
    $("#private-to").textContent = priv ? `private to ${id.slice(1)} ✕` : "";
    $("#text").placeholder = priv ? `Message ${id.slice(1)} privately…` : id === MAIN ? "Say something…" : `Message ${id}…`;
    $("#text").focus();
  }

  function renderTabs() {
    const tabs = $("#tabs");
    tabs.replaceChildren(
      ...[...state.convs.values()].map((c) =>
        el(
          "button",
          { type: "button", class: c.id === state.active ? "active" : "", dataset: { conv: c.id }, onclick: () => activate(c.id) },
          c.title,
          ...(c.unread ? [el("span", { class: "unread" }, String(c.unread))] : []),
        ),
      ),
    );
  }

  function renderMessages() {
    $("#messages").replaceChildren(...conv(state.active).items.map(renderItem));
    scrollDown();
  }

  function renderItem(item) {
    if (item.kind === "sys") return el("li", { class: "sys" }, item.text);
    if (item.kind === "divider") return el("li", { class: "divider" }, `— ${item.text} —`);
    const m = item.m;
    const from = item.kind === "private" ? (item.outgoing ? state.me : m.from) : m.username;
    const li = el(
      "li",
      { class: `msg${from === state.me ? " mine" : ""}${item.history ? " history" : ""}`, dataset: { from: from ?? "" } },
      el("span", { class: "meta" }, `${from ?? "?"} · ${time(m.timestamp)}${item.kind === "private" ? " · private" : ""}`),
      el("span", { class: "text" }, m.text),
    );
    if (item.kind === "private" && item.outgoing) {
      const d = el("span", { class: "delivery" }, "sending…");
      item.deliveryEl = d;
      showDelivery(item);
      li.append(d);
    }
    return li;
  }

  function showDelivery(item) {
    const d = item.deliveryEl;
    if (!d || !item.report) return;
    d.className = `delivery ${item.report.delivered ? "ok" : "bad"}`;
    d.textContent = item.report.delivered ? "✓ delivered" : `✗ not delivered: ${item.report.reason ?? "no answer"}`;
  }

  const scrollDown = () => {
    const ms = $("#messages");
    ms.scrollTop = ms.scrollHeight;
  };

  // ---- side panels ------------------------------------------------------------------

  function renderOnline({ users, count }) {
    $("#online-count").textContent = String(count);
    $("#online").replaceChildren(
      ...users.map((u) => {
        const self = u.username === state.me;
        return el(
          "li",
          {
            class: self ? "self" : "clickable",
            dataset: { username: u.username },
            title: self ? "you" : `online since ${time(u.joinedAt)} — click to message privately`,
            ...(self ? {} : { onclick: () => activate("@" + u.username) }),
          },
          el("span", { class: "dot" }),
          u.username + (self ? " (you)" : ""),
        );
      }),
    );
  }

  function renderRooms() {
    $("#rooms").replaceChildren(
      ...[...state.rooms].map((r) =>
        el(
          "li",
          { class: "clickable", dataset: { room: r }, onclick: () => activate("#" + r) },
          "#" + r,
          el("button", {
            type: "button", class: "link", title: `leave #${r}`, "aria-label": `leave #${r}`,
            onclick: (e) => { e.stopPropagation(); leaveRoom(r); },
          }, "✕"),
        ),
      ),
    );
  }

  function renderTyping() {
    const names = [...state.typing.keys()];
    $("#typing").textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }

  function notify(text, id) {
    const list = $("#notifications");
    list.prepend(el("li", { dataset: { id: id ?? "" } }, `${time(Date.now())} ${text}`));
    while (list.children.length > 20) list.lastChild.remove();
  }

  // ---- rooms ------------------------------------------------------------------------

  function joinRoom(name) {
    name = name.trim().replace(/^#/, "");
    if (!name) return;
    if (!state.rooms.has(name)) {
      state.rooms.add(name);
      state.socket.emit("room:join", name);
      renderRooms();
    }
    activate("#" + name);
  }

  function leaveRoom(name) {
    state.rooms.delete(name);
    state.socket.emit("room:leave", name);
    renderRooms();
    closeConv("#" + name);
  }

  // ---- sending ----------------------------------------------------------------------

  let typingSent = false;
  let typingTimer = 0;
  function typing(on) {
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => typing(false), 2000);
    if (on === typingSent) return;
    typingSent = on;
    state.socket.emit("user:typing", { isTyping: on });
  }

  async function send(text) {
    const id = state.active;
    if (id === MAIN) state.socket.emit("chat:message", { text });
    else if (id.startsWith("#")) state.socket.emit("room:message", { room: id.slice(1), text });
    else {
      const to = id.slice(1);
      const item = add(id, { kind: "private", outgoing: true, m: { text, timestamp: Date.now() } });
      try {
        item.report = await state.socket.timeout(10000).emitWithAck("chat:private", { to, text });
      } catch {
        item.report = { delivered: false, reason: "no answer from the server" };
      }
      showDelivery(item);
    }
  }

  // ---- connection -------------------------------------------------------------------

  async function start(name) {
    const err = $("#login-error");
    err.hidden = true;
    let auth;
    try {
      const cfg = await (await fetch("api/config")).json();
      if (cfg.auth) {
        const res = await fetch("api/login", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ username: name }),
        });
        const body = await res.json();
        if (!res.ok) throw new Error(body.error || `login failed (${res.status})`);
        auth = { token: body.token };
      }
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
      return;
    }

    state.me = name;
    const socket = io({ auth });
    state.socket = socket;
    const status = (text, cls) => {
      $("#status").textContent = text;
      $("#status").className = `status ${cls}`;
    };

    socket.on("connect", () => {
      $("#login").hidden = true;
      $("#app").hidden = false;
      $("#me").textContent = `as ${name}`;
      status(`connected (${socket.io.engine.transport.name})`, "on");
      socket.io.engine.once("upgrade", (t) => status(`connected (${t.name})`, "on"));
      socket.emit("user:join", name);
      for (const r of state.rooms) socket.emit("room:join", r);
    });
    socket.on("connect_error", (e) => {
      if (socket.active) {
        status("reconnecting…", "off");
        return;
      }
      // Refused by the server (the handshake middleware): say why, back to the form.
      socket.disconnect();
      $("#app").hidden = true;
      $("#login").hidden = false;
      err.textContent = `Connection refused: ${e.message}`;
      err.hidden = false;
    });
    socket.on("disconnect", (reason) => status(`disconnected (${reason})`, "off"));

    socket.on("chat:history", (messages) => replaceHistory(MAIN, messages));
    socket.on("room:history", ({ room, messages }) => replaceHistory("#" + room, messages));
    socket.on("chat:message", (m) => add(m.room ? "#" + m.room : MAIN, { kind: "msg", m }));
    socket.on("system:message", (m) => add(m.room ? "#" + m.room : MAIN, { kind: "sys", text: m.text }));
    socket.on("user:online", renderOnline);
    socket.on("user:typing", ({ username, isTyping }) => {
      clearTimeout(state.typing.get(username));
      if (isTyping) state.typing.set(username, setTimeout(() => { state.typing.delete(username); renderTyping(); }, 5000));
      else state.typing.delete(username);
      renderTyping();
    });
    socket.on("chat:private", (m) => add("@" + m.from, { kind: "private", m }));

    conv(MAIN);
    activate(MAIN);
    listenSSE();
  }

  function listenSSE() {
    const es = new EventSource("api/events");
    es.onmessage = (e) => { // unnamed events: the heartbeat
      try {
        const { timestamp } = JSON.parse(e.data);
        $("#heartbeat").textContent = `heartbeat ${new Date(timestamp).toLocaleTimeString()}`;
      } catch {}
    };
    es.addEventListener("system:message", (e) => notify(JSON.parse(e.data).text, e.lastEventId));
  }

  // ---- forms ------------------------------------------------------------------------

  $("#login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("#name").value.trim();
    if (name) start(name);
  });
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#text");
    const text = input.value.trim();
    if (!text || !state.socket) return;
    input.value = "";
    typing(false);
    send(text);
  });
  $("#text").addEventListener("input", (e) => state.socket && typing(e.target.value !== ""));
  $("#private-to").addEventListener("click", () => activate(MAIN));
  $("#room-form").addEventListener("submit", (e) => {
    e.preventDefault();
    joinRoom($("#room-name").value);
    $("#room-name").value = "";
  });
})();
