package deliver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/airlockmail/airlock/deliver/releasehdr"
)

// Header field names added on delivery.
const (
	FieldVerdict = "X-Airlock-Verdict"
	FieldQueueID = "X-Airlock-Queue-Id"
	FieldHeld    = "X-Airlock-Held"
)

// Stamp is what the added header fields say.
type Stamp struct {
	QueueID string
	// Verdict is the summary line: "clean", "timeout: 2 file(s) pending",
	// "released by admin:carol".
	Verdict string
	// HeldAt is when the message was held; the header gives the time held.
	HeldAt time.Time
}

// addHeaders returns data with Airlock's fields added on top of the
// header. The rest of the header and the body are copied byte for byte;
// only X-Airlock-* fields that came in with the mail are dropped, so that
// a sender cannot pre-set what the recipient reads as Airlock's verdict.
func (d *Deliverer) addHeaders(data []byte, s Stamp, now time.Time) ([]byte, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	fields := h.Fields()
	var spoofed []string
	for fields.Next() {
		if strings.HasPrefix(strings.ToLower(fields.Key()), "x-airlock-") {
			spoofed = append(spoofed, fields.Key())
		}
	}
	for _, k := range spoofed {
		h.Del(k)
	}
	// Add prepends, so the last added comes first.
	digest := releasehdr.BodyDigest(data)
	h.Add(releasehdr.Field, releasehdr.Sign(d.key, s.QueueID, digest, now.Add(d.cfg.ReleaseTTL)))
	if !s.HeldAt.IsZero() {
		h.Add(FieldHeld, fmt.Sprintf("%s (since %s)", now.Sub(s.HeldAt).Round(time.Second), s.HeldAt.UTC().Format(time.RFC1123Z)))
	}
	h.Add(FieldQueueID, s.QueueID)
	h.Add(FieldVerdict, s.Verdict)
	var out bytes.Buffer
	out.Grow(len(data) + 512)
	if err := textproto.WriteHeader(&out, h); err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	if _, err := io.Copy(&out, br); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
