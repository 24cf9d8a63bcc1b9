package releasehdr

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	msg := []byte("Subject: x\r\nFrom: a@b\r\n\r\nHello\r\nworld\r\n")
	now := time.Unix(1_800_000_000, 0)
	v := Sign(key, "01QUEUEID", BodyDigest(msg), now.Add(time.Hour))
	lfCopy := []byte("Received: by mta\nSubject: x\nFrom: a@b\n\nHello\nworld\n\n")
	cases := []struct {
		name  string
		key   []byte
		value string
		msg   []byte
		now   time.Time
		want  error
	}{
		{"same message", key, v, msg, now, nil},
		{"MTA added headers, LF line ends", key, v, lfCopy, now, nil},
		{"other body", key, v, []byte("Subject: x\r\n\r\nHello\r\nworld!\r\n"), now, ErrBadMAC},
		{"other key", []byte("another key another key another k"), v, msg, now, ErrBadMAC},
		{"expired", key, v, msg, now.Add(2 * time.Hour), ErrExpired},
		{"garbage", key, "v=1; id=x", msg, now, ErrMalformed},
		{"id moved", key, replaceID(v, "01OTHERID"), msg, now, ErrBadMAC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := Verify(tc.key, tc.value, BodyDigest(tc.msg), tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && id != "01QUEUEID" {
				t.Fatalf("id = %q", id)
			}
		})
	}
}

func replaceID(v, id string) string {
	return "v=1; id=" + id + v[len("v=1; id=01QUEUEID"):]
}
