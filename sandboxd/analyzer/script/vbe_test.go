package script

import "testing"

func TestDecodeVBE(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#@~^DgAAAA==\\ko$K6,JC\x7fV^GJqAQAAA==^#~@", `MsgBox "Hello"`},
	}
	for _, tc := range tests {
		got, err := DecodeVBE([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want+"\n" {
			t.Errorf("DecodeVBE(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	plain := "Set s = CreateObject(\"WScript.Shell\")\r\ns.Run \"calc.exe\", 0 ' <tag> me@example\tx\n"
	got, err := DecodeVBE([]byte(EncodeVBE(plain)))
	if err != nil || got != plain+"\n" {
		t.Errorf("round trip = %q, %v", got, err)
	}
	if _, err := DecodeVBE([]byte("plain text")); err == nil {
		t.Error("DecodeVBE of plain text: want error")
	}
}
