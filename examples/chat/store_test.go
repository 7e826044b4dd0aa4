package main

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestHistoryKeepsLatestOldestFirstAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	h, err := openSQLiteHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 60; i++ {
		if err := h.Add(ctx, Message{ID: strconv.Itoa(i), Text: "m" + strconv.Itoa(i), Username: "ada", Timestamp: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Add(ctx, Message{ID: "r1", Text: "in room", Username: "bob", Room: "go", Timestamp: 99}); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}

	h, err = openSQLiteHistory(path) // a restart
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	msgs, err := h.Recent(ctx, "", historySize)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != historySize || msgs[0].ID != "11" || msgs[historySize-1].ID != "60" {
		t.Fatalf("got %d messages, first %q last %q", len(msgs), msgs[0].ID, msgs[len(msgs)-1].ID)
	}
	for _, m := range msgs {
		if m.Room != "" || m.Username != "ada" {
			t.Fatalf("main chat history holds %+v", m)
		}
	}
	room, err := h.Recent(ctx, "go", historySize)
	if err != nil || len(room) != 1 || room[0] != (Message{ID: "r1", Text: "in room", Username: "bob", Room: "go", Timestamp: 99}) {
		t.Fatalf("room history %+v %v", room, err)
	}
}

func TestHistoryEmptyRoomIsEmptyNotNil(t *testing.T) {
	h, err := openSQLiteHistory(filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	msgs, err := h.Recent(context.Background(), "nowhere", historySize)
	if err != nil || msgs == nil || len(msgs) != 0 {
		t.Fatalf("got %#v, %v; want an empty slice (JSON [])", msgs, err)
	}
}

func TestHistoryConcurrentWriters(t *testing.T) {
	h, err := openSQLiteHistory(filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := h.Add(ctx, Message{ID: strconv.Itoa(w*100 + i), Text: "x", Timestamp: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	msgs, err := h.Recent(ctx, "", 1000)
	if err != nil || len(msgs) != 100 {
		t.Fatalf("got %d messages, %v", len(msgs), err)
	}
}

func TestOpenHistoryBadPath(t *testing.T) {
	if _, err := openSQLiteHistory(filepath.Join(t.TempDir(), "missing-dir", "x", "chat.db")); err == nil {
		t.Fatal("opening a database in a directory that does not exist succeeded")
	}
}
