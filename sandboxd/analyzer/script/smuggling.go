package script

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

var (
	blobRe        = re(`(?i)new\s+blob\s*\(`)
	atobRe        = re(`(?i)(\batob\s*\(|base64tobytes|frombase64|uint8array\.from\s*\(\s*atob|charCodeAt)`)
	offerRe       = re(`(?i)(\.download\s*=|\bdownload\s*=\s*["']|mssaveorOpenblob|mssaveblob|createobjecturl)`)
	clickRe       = re(`(?i)(\.click\s*\(\s*\)|mssaveoropenblob|window\.location(\.href)?\s*=\s*\w*url)`)
	passwordRe    = re(`(?i)<input[^>]+type\s*=\s*["']?password`)
	formActionRe  = re(`(?i)<form[^>]*\saction\s*=\s*["']?([^"'\s>]+)`)
	autoSubmitRe  = re(`(?i)(\.submit\s*\(\s*\)|onload\s*=\s*["'][^"']*submit)`)
	metaRefreshRe = re(`(?i)<meta[^>]+http-equiv\s*=\s*["']?refresh[^>]+url\s*=\s*([^"'>\s]+)`)
	dataURIRe     = re(`(?i)(href|src)\s*=\s*["']data:application/(octet-stream|x-msdownload|zip|x-zip|vnd\.ms|x-iso)[^"']{0,40}`)
	b64LiteralRe  = re(`["'\x60]([A-Za-z0-9+/\r\n]{200,}={0,2})["'\x60]`)
)

// html looks for what pages attached to mail do to their readers: build a
// file out of an embedded blob and offer it for download (HTML smuggling,
// which walks a payload past gateways that only look at attachments), ask
// for a password and post it elsewhere, submit a form on load.
func html(ctx context.Context, text string, f *rules.Findings, t Traits) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	blob := blobRe.FindString(text)
	decode := atobRe.FindString(text)
	offer := offerRe.FindString(text)
	if blob != "" && offer != "" && (decode != "" || base64Re.MatchString(text)) {
		sev := rules.High
		desc := "builds a file from an embedded blob and offers it for download (HTML smuggling)"
		if payload := smuggledPayload(ctx, text); payload != "" {
			sev = rules.Critical
			desc = "smuggles " + payload + " out of an embedded blob and offers it for download (HTML smuggling)"
		}
		if clickRe.MatchString(text) {
			desc += ", started automatically"
		}
		f.Add("html-smuggling", sev, desc, blob+" "+offer)
	}
	if m := dataURIRe.FindString(text); m != "" {
		f.Add("data-uri-download", rules.High, "links to an executable or archive carried inside the page as a data: URI", m)
	}
	if rules.Done(ctx) {
		return
	}
	action := ""
	if m := formActionRe.FindStringSubmatch(text); m != nil {
		action = m[1]
	}
	offSite := isRemote(action)
	if p := passwordRe.FindString(text); p != "" {
		switch {
		case offSite:
			f.Add("credential-form", rules.High, "asks for a password and posts it to another site", action)
		case strings.Contains(strings.ToLower(text), "xmlhttprequest") || strings.Contains(text, "fetch(") || strings.Contains(text, "$.ajax") || strings.Contains(text, "$.post"):
			if u := urlRe.FindString(text); u != "" {
				f.Add("credential-form", rules.High, "asks for a password in a local page that sends data to a server", u)
			}
		default:
			f.Add("password-field", rules.Low, "a local page asks for a password", p)
		}
	}
	if offSite && autoSubmitRe.MatchString(text) {
		f.Add("auto-submit", rules.Medium, "submits a form to another site as soon as it is opened", action)
	}
	if m := metaRefreshRe.FindStringSubmatch(text); m != nil && isRemote(m[1]) {
		f.Add("meta-refresh", rules.Low, "redirects the reader to a web site as soon as it is opened", m[1])
	}
}

func isRemote(u string) bool {
	p, err := url.Parse(strings.TrimSpace(u))
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// smuggledPayload decodes the largest base64 literal and names what it is
// when that is something a page has no business carrying.
func smuggledPayload(ctx context.Context, text string) string {
	var best string
	for _, m := range b64LiteralRe.FindAllStringSubmatch(text, 32) {
		if len(m[1]) > len(best) {
			best = m[1]
		}
	}
	if best == "" || rules.Done(ctx) {
		return ""
	}
	best = strings.NewReplacer("\r", "", "\n", "").Replace(best)
	if len(best) > 64<<20 {
		best = best[:64<<20]
	}
	b, err := base64.StdEncoding.DecodeString(best)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(best, "="))
		if err != nil {
			return ""
		}
	}
	return payloadKind(b)
}

// payloadKind names executable and container payloads by their magic.
func payloadKind(b []byte) string {
	switch {
	case rules.ContainsEICAR(b):
		return "the EICAR test file"
	case bytes.HasPrefix(b, []byte("MZ")):
		return "a Windows executable"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a zip archive"
	case bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")):
		return "a 7z archive"
	case bytes.HasPrefix(b, []byte("Rar!")):
		return "a RAR archive"
	case len(b) > 0x8006 && string(b[0x8001:0x8006]) == "CD001":
		return "a disk image (ISO)"
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "an OLE (Office/MSI) file"
	case bytes.HasPrefix(b, []byte("L\x00\x00\x00\x01\x14\x02\x00")):
		return "a Windows shortcut (LNK)"
	}
	return ""
}
