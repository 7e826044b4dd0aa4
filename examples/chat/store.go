package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // pure-Go SQLite driver: no C toolchain or service to install
)

// Message is a chat message as the clients see it (the chat:message payload).
type Message struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Username  string `json:"username,omitempty"`
	Room      string `json:"room,omitempty"`
	Timestamp int64  `json:"timestamp"`
}

// History stores chat messages so that new joiners see what was said before them, across
// restarts of the server.
type History interface {
	// Add stores a message. Room "" is the main chat.
	Add(ctx context.Context, m Message) error
	// Recent returns up to n of the latest messages of room, oldest first.
	Recent(ctx context.Context, room string, n int) ([]Message, error)
	// Close releases the store.
	Close() error
}

// sqliteHistory keeps history in an SQLite file next to the program by default.
type sqliteHistory struct {
	db *sql.DB
}

// openSQLiteHistory opens (creating when missing) the history database at path.
func openSQLiteHistory(path string) (*sqliteHistory, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // SQLite writes are serialised anyway; one connection avoids SQLITE_BUSY
	const schema = `CREATE TABLE IF NOT EXISTS messages (
		seq       INTEGER PRIMARY KEY AUTOINCREMENT,
		room      TEXT    NOT NULL DEFAULT '',
		id        TEXT    NOT NULL,
		text      TEXT    NOT NULL,
		username  TEXT    NOT NULL DEFAULT '',
		timestamp INTEGER NOT NULL
	);
	CREATE INDEX IF NOT EXISTS messages_room_seq ON messages (room, seq);`
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	return &sqliteHistory{db: db}, nil
}

func (h *sqliteHistory) Add(ctx context.Context, m Message) error {
	_, err := h.db.ExecContext(ctx,
		`INSERT INTO messages (room, id, text, username, timestamp) VALUES (?, ?, ?, ?, ?)`,
		m.Room, m.ID, m.Text, m.Username, m.Timestamp)
	return err
}

func (h *sqliteHistory) Recent(ctx context.Context, room string, n int) ([]Message, error) {
	rows, err := h.db.QueryContext(ctx,
		`SELECT id, text, username, timestamp FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?`,
		room, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]Message, 0, n)
	for rows.Next() {
		m := Message{Room: room}
		if err := rows.Scan(&m.ID, &m.Text, &m.Username, &m.Timestamp); err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	return msgs, nil
}

func (h *sqliteHistory) Close() error { return h.db.Close() }
