// Package socketio is a Socket.IO v5 server for Go: mount it on net/http and the official
// socket.io JavaScript client (v4) connects to it unchanged.
package socketio
