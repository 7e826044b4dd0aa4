// The Node.js twin of Parley's benchmark target server: the contract in BENCHMARKS.md
// (join, bcast, echo on the default namespace) on a socket.io 4.8 Server, with every setting
// that the contract names spelled out. It listens on 127.0.0.1:$PORT, prints one banner line
// on stdout and exits on SIGTERM.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { Server } = require("socket.io");

const port = Number.parseInt(process.env.PORT || "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("server.js: PORT must be set to a TCP port");
  process.exit(2);
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
  serveClient: false,
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  perMessageDeflate: false,
  transports: ["polling", "websocket"],
});

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("bcast", (room, payload, ack) => {
    io.to(room).emit("msg", payload);
    if (typeof ack === "function") ack();
  });
  socket.on("echo", (payload, ack) => {
    if (typeof ack === "function") ack(payload);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  const version = socketIOVersion();
  console.log(`parley-bench-node socket.io/${version} node/${process.versions.node} listening on 127.0.0.1:${port}`);
});

// socketIOVersion reads the installed socket.io's version (its package.json is not exported).
function socketIOVersion() {
  try {
    const dir = path.dirname(require.resolve("socket.io"));
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "..", "package.json"), "utf8"));
    return pkg.version;
  } catch {
    return "unknown";
  }
}

function stop() {
  io.close(() => process.exit(0));
  // io.close waits for nothing long, but never let a stuck socket keep the process alive.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
