package grant

import (
	"strings"
	"testing"
	"time"
)

// TestID: an id is Len characters, carries its expiry, is owned by its
// client alone, and any one-character change breaks it.
func TestID(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	exp := time.Unix(1_800_000_000, 0)
	id := New(secret, "web", exp)
	if len(id) != Len {
		t.Fatalf("len %d, want %d", len(id), Len)
	}
	if got, ok := Expires(id); !ok || !got.Equal(exp) {
		t.Fatalf("Expires = %v, %v", got, ok)
	}
	if !Owns(secret, id, "web") || Owns(secret, id, "other") || Owns([]byte("another secret of 32 bytes......"), id, "web") {
		t.Fatal("ownership")
	}
	if New(secret, "web", exp) == id {
		t.Fatal("two ids alike")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range id {
		for _, c := range alphabet {
			if byte(c) == id[i] {
				continue
			}
			edited := id[:i] + string(c) + id[i+1:]
			if Owns(secret, edited, "web") {
				t.Fatalf("%s (position %d) still owned", edited, i)
			}
		}
	}
	for _, bad := range []string{"", "x", id + "A", strings.Repeat("=", Len), id[:Len-1] + "+"} {
		if _, ok := Expires(bad); ok {
			t.Errorf("Expires(%q) accepted", bad)
		}
	}
}

// FuzzExpires: any string is read or refused, never a panic.
func FuzzExpires(f *testing.F) {
	f.Add(New([]byte("k"), "c", time.Unix(1, 0)))
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		if _, ok := Expires(id); ok && len(id) != Len {
			t.Fatalf("accepted %q", id)
		}
		Owns([]byte("k"), id, "c")
	})
}
