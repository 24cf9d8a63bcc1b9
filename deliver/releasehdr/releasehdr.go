// Package releasehdr makes and checks the release header that deliver/
// adds to a message it re-injects, so that the milter lets that message
// pass without holding it again.
//
// The header is an HMAC-SHA256, keyed with a secret shared by the nodes,
// over the queue id, the SHA-256 of the body and an expiry. It therefore
// proves that Airlock released this body under this queue id recently: an
// attacker can neither forge one nor move one to another message (the body
// digest would differ). Passing "once" is the gate's part: it
// marks the message in the shared hold queue with the header's expiry, so
// the header passes one time on any node, and the next delivery attempt
// (a new header, a new expiry) passes again.
//
// Only the body is covered, because the MTA adds and rewrites header fields
// (Received, ...) on the way. The body is canonicalised as DKIM's "simple"
// body (RFC 6376 §3.4.3) plus line-ending folding: CR bytes are dropped and
// trailing empty lines ignored, so LF-only and CRLF copies agree.
package releasehdr

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Field is the header field name.
const Field = "X-Airlock-Release"

// Errors from Verify.
var (
	ErrMalformed = errors.New("release header: malformed")
	ErrBadMAC    = errors.New("release header: signature does not match this message")
	ErrExpired   = errors.New("release header: expired")
)

// BodyDigest is the SHA-256 of the canonical body of a whole message
// (everything after the first empty line).
func BodyDigest(msg []byte) [32]byte { return Digest(Body(msg)) }

// Body returns the body of a whole message: the bytes after the first
// empty line (nil when there is none).
func Body(msg []byte) []byte {
	i := bytes.Index(msg, []byte("\n\r\n"))
	j := bytes.Index(msg, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		return msg[i+3:]
	case j >= 0:
		return msg[j+2:]
	}
	return nil
}

// Digest is the SHA-256 of a canonicalised body (the milter feeds the body
// it received).
func Digest(body []byte) [32]byte {
	c := bytes.ReplaceAll(body, []byte("\r"), nil)
	c = bytes.TrimRight(c, "\n")
	return sha256.Sum256(c)
}

func mac(key []byte, id string, digest [32]byte, exp int64) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "airlock-release-v1\x00%s\x00%d\x00", id, exp)
	m.Write(digest[:])
	return m.Sum(nil)
}

// Sign returns the header value for a message body digest.
func Sign(key []byte, queueID string, digest [32]byte, expires time.Time) string {
	exp := expires.Unix()
	return fmt.Sprintf("v=1; id=%s; exp=%d; mac=%s", queueID, exp,
		base64.RawURLEncoding.EncodeToString(mac(key, queueID, digest, exp)))
}

// Verify checks a header value against the digest of the body that came
// with it, and returns the queue id and expiry it was made for.
func Verify(key []byte, value string, digest [32]byte, now time.Time) (queueID string, expires time.Time, err error) {
	var id, exps, macs string
	// A folded header may be split anywhere a space was; no part of the
	// value contains white space, so drop it all.
	value = strings.Join(strings.Fields(value), "")
	for _, part := range strings.Split(value, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "v":
			if v != "1" {
				return "", time.Time{}, ErrMalformed
			}
		case "id":
			id = v
		case "exp":
			exps = v
		case "mac":
			macs = v
		}
	}
	exp, perr := strconv.ParseInt(exps, 10, 64)
	got, derr := base64.RawURLEncoding.DecodeString(macs)
	if id == "" || perr != nil || derr != nil {
		return "", time.Time{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(key, id, digest, exp)) {
		return "", time.Time{}, ErrBadMAC
	}
	expires = time.Unix(exp, 0)
	if now.After(expires) {
		return id, expires, ErrExpired
	}
	return id, expires, nil
}
