package suggest

import "testing"

func TestNearest(t *testing.T) {
	names := []string{"filename", "contentType", "size", "expiresIn", "url", "upload", "download"}
	for _, tt := range []struct{ in, want string }{
		{"fileName", "filename"},
		{"expires", "expiresIn"},
		{"contenType", "contentType"},
		{"sise", "size"},
		{"ur", "url"},
		{"uplod", "upload"},
		{"bucket", ""},
		{"x", ""},
		{"downlaod", "download"},
		{string(make([]byte, 100)), ""},
	} {
		if got := Nearest(tt.in, names); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNearest(f *testing.F) {
	f.Add("fileName")
	f.Fuzz(func(t *testing.T, s string) {
		if got := Nearest(s, []string{"filename", "size"}); got != "" && got != "filename" && got != "size" {
			t.Fatalf("Nearest(%q) = %q", s, got)
		}
	})
}
