// The Node.js twin of Parley's cluster test server: Socket.IO 4.8 on a Redis adapter,
// behaving exactly as /work/shared/docs/cluster-test-server.md
// (the project's cluster-test-server.md) says. Cross-language tests run it beside Parley's
// internal/conformance/cluster and drive both the same way.
//
// Environment: PORT, NAME (A or B), REDIS_URL, REDIS_KEY (default socket.io), and
// REDIS_ADAPTER, as for Parley's server:
//   classic (default)  createAdapter of @socket.io/redis-adapter (key = REDIS_KEY)
//   sharded            createShardedAdapter of @socket.io/redis-adapter (Redis 7 sharded
//                      Pub/Sub, channelPrefix = REDIS_KEY, subscriptionMode "dynamic")
//   streams            createAdapter of @socket.io/redis-streams-adapter (streamName and
//                      channelPrefix = REDIS_KEY), with connection state recovery on
//                      (maxDisconnectionDuration 60 s, middlewares skipped: Node's default)
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";

const PORT = Number(process.env.PORT);
const NAME = process.env.NAME ?? "A";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_KEY = process.env.REDIS_KEY || "socket.io";
const REDIS_ADAPTER = process.env.REDIS_ADAPTER || "classic";

if (!PORT) {
  console.error("node-server: PORT is required");
  process.exit(2);
}

const pub = createClient({ url: REDIS_URL });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on("error", (err) => console.error(`node-server ${NAME}: redis:`, err.message));
await Promise.all([pub.connect(), sub.connect()]);

const opts = { maxHttpBufferSize: 1e8 };
switch (REDIS_ADAPTER) {
  case "classic":
    opts.adapter = createAdapter(pub, sub, { key: REDIS_KEY });
    break;
  case "sharded":
    opts.adapter = createShardedAdapter(pub, sub, { channelPrefix: REDIS_KEY, subscriptionMode: "dynamic" });
    break;
  case "streams":
    // The streams adapter duplicates this client for its readers and subscriber.
    opts.adapter = createStreamsAdapter(pub, { streamName: REDIS_KEY, channelPrefix: REDIS_KEY });
    opts.connectionStateRecovery = { maxDisconnectionDuration: 60_000, skipMiddlewares: true };
    break;
  default:
    console.error(`node-server: unknown REDIS_ADAPTER ${JSON.stringify(REDIS_ADAPTER)}`);
    process.exit(2);
}
const httpServer = createServer();
const io = new Server(httpServer, opts);

// The server-side event log of §2, shared by both namespaces.
let sseLog = [];
const SSE_EVENTS = ["sse:note", "sse:ping", "emitter:note"];

for (const name of ["/", "/second"]) {
  const nsp = io.of(name);
  nsp.use((socket, next) => {
    const auth = socket.handshake.auth ?? {};
    socket.data = { name: typeof auth.name === "string" ? auth.name : null };
    if (Array.isArray(auth.rooms)) {
      socket.join(auth.rooms.filter((r) => typeof r === "string"));
    }
    next();
  });
  nsp.on("connection", (socket) => {
    socket.on("relay", (msg, ack) => {
      const { event, args = [], rooms } = msg ?? {};
      if (Array.isArray(rooms) && rooms.length > 0) {
        socket.to(rooms).emit(event, ...args);
      } else {
        socket.broadcast.emit(event, ...args);
      }
      if (typeof ack === "function") ack({ ok: true });
    });
  });
  for (const event of SSE_EVENTS) {
    nsp.on(event, (...args) => {
      const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
      sseLog.push({ nsp: name, event, args });
      if (cb) cb({ server: NAME, event, args });
    });
  }
}

// select applies the selector fields of §3 to a namespace.
function select(cmd) {
  let op = io.of(cmd.nsp ?? "/");
  if (Array.isArray(cmd.rooms) && cmd.rooms.length > 0) op = op.to(cmd.rooms);
  if (Array.isArray(cmd.except) && cmd.except.length > 0) op = op.except(cmd.except);
  if (cmd.volatile) op = op.volatile;
  if (cmd.compress === false) op = op.compress(false);
  if (cmd.local) op = op.local;
  return op;
}

function describe(socket) {
  const { sessionStore, ...handshake } = socket.handshake;
  return { id: socket.id, rooms: [...socket.rooms].sort(), data: socket.data, handshake };
}

const errText = (err) => (err ? String(err.message ?? err) || "error" : null);

const commands = {
  info: async () => ({ name: NAME, impl: "node", adapter: REDIS_ADAPTER }),
  emit: async (cmd) => {
    select(cmd).emit(cmd.event, ...(cmd.args ?? []));
    return {};
  },
  emitWithAck: (cmd) =>
    new Promise((resolve) => {
      select(cmd)
        .timeout(cmd.timeout ?? 2000)
        .emit(cmd.event, ...(cmd.args ?? []), (err, responses) => {
          resolve({ err: errText(err), responses: responses ?? [] });
        });
    }),
  fetchSockets: async (cmd) => {
    const sockets = await select({ nsp: cmd.nsp, rooms: cmd.rooms, except: cmd.except, local: cmd.local }).fetchSockets();
    return { sockets: sockets.map(describe) };
  },
  socketsJoin: async (cmd) => {
    select(cmd).socketsJoin(cmd.join ?? []);
    return {};
  },
  socketsLeave: async (cmd) => {
    select(cmd).socketsLeave(cmd.leave ?? []);
    return {};
  },
  disconnectSockets: async (cmd) => {
    select(cmd).disconnectSockets(!!cmd.close);
    return {};
  },
  serverSideEmit: async (cmd) => {
    io.of(cmd.nsp ?? "/").serverSideEmit(cmd.event, ...(cmd.args ?? []));
    return {};
  },
  serverSideEmitWithAck: (cmd) =>
    new Promise((resolve) => {
      io.of(cmd.nsp ?? "/").serverSideEmit(cmd.event, ...(cmd.args ?? []), (err, responses) => {
        resolve({ err: errText(err), responses: responses ?? [] });
      });
    }),
  sseLog: async () => ({ events: sseLog }),
  sseClear: async () => {
    sseLog = [];
    return {};
  },
  serverCount: async (cmd) => ({ count: await io.of(cmd.nsp ?? "/").adapter.serverCount() }),
  allRooms: async (cmd) => {
    // Only the classic adapter has an allRooms request; ClusterAdapter (sharded, streams)
    // has none, and Parley's server answers "unsupported" there too.
    const adapter = io.of(cmd.nsp ?? "/").adapter;
    if (typeof adapter.allRooms !== "function") throw new Error("unsupported");
    return { rooms: [...(await adapter.allRooms())].sort() };
  },
};

io.of("/control").on("connection", (socket) => {
  for (const [name, fn] of Object.entries(commands)) {
    socket.on(name, async (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
      try {
        ack({ ok: true, ...(await fn(args[0] ?? {})) });
      } catch (err) {
        ack({ ok: false, error: errText(err) });
      }
    });
  }
});

httpServer.listen(PORT, "127.0.0.1", () => console.log(`node-server ${NAME} listening on 127.0.0.1:${PORT}`));

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  io.close();
  Promise.allSettled([pub.quit(), sub.quit()]).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
