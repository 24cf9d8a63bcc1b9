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
	blobRe        = p(`new\s+blob\s*\(`, "blob")
	atobRe        = p(`(\batob\s*\(|base64tobytes|frombase64|uint8array\.from\s*\(\s*atob|charcodeat)`, "atob", "base64", "charcodeat")
	offerRe       = p(`(\.download\s*=|\bdownload\s*=\s*["']|mssaveoropenblob|mssaveblob|createobjecturl)`, "download", "mssave", "createobjecturl")
	clickRe       = p(`(\.click\s*\(\s*\)|mssaveoropenblob|window\.location(\.href)?\s*=\s*\w*url)`, "click", "mssaveoropenblob", "location")
	passwordRe    = p(`<input[^>]+type\s*=\s*["']?password`, "password")
	formActionRe  = p(`<form[^>]*\saction\s*=\s*["']?([^"'\s>]+)`, "<form")
	autoSubmitRe  = p(`(\.submit\s*\(\s*\)|onload\s*=\s*["'][^"']*submit)`, "submit")
	metaRefreshRe = p(`<meta[^>]+http-equiv\s*=\s*["']?refresh[^>]+url\s*=\s*([^"'>\s]+)`, "refresh")
	dataURIRe     = p(`(href|src)\s*=\s*["']data:application/(octet-stream|x-msdownload|zip|x-zip|vnd\.ms|x-iso)[^"']{0,40}`, "data:application")
)

// html looks for what pages attached to mail do to their readers: build a
// file out of an embedded blob and offer it for download (HTML smuggling,
// which walks a payload past gateways that only look at attachments), ask
// for a password and post it elsewhere, submit a form on load.
func html(ctx context.Context, text string, f *rules.Findings, t Traits) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	s := newSrc(text)
	blob := blobRe.find(s)
	decode := atobRe.find(s)
	offer := offerRe.find(s)
	if blob != "" && offer != "" && (decode != "" || longestB64(text, 200, true) != "") {
		sev := rules.High
		desc := "builds a file from an embedded blob and offers it for download (HTML smuggling)"
		if payload := smuggledPayload(ctx, text); payload != "" {
			sev = rules.Critical
			desc = "smuggles " + payload + " out of an embedded blob and offers it for download (HTML smuggling)"
		}
		if clickRe.find(s) != "" {
			desc += ", started automatically"
		}
		f.Add("html-smuggling", sev, desc, blob+" "+offer)
	}
	if m := dataURIRe.find(s); m != "" {
		f.Add("data-uri-download", rules.High, "links to an executable or archive carried inside the page as a data: URI", m)
	}
	if rules.Done(ctx) {
		return
	}
	action := ""
	if m := formActionRe.submatches(s, 1); m != nil {
		action = m[0]
	}
	offSite := isRemote(action)
	if pw := passwordRe.find(s); pw != "" {
		switch {
		case offSite:
			f.Add("credential-form", rules.High, "asks for a password and posts it to another site", action)
		case strings.Contains(s.lower, "xmlhttprequest") || strings.Contains(text, "fetch(") || strings.Contains(text, "$.ajax") || strings.Contains(text, "$.post"):
			if u := urlRe.find(s); u != "" {
				f.Add("credential-form", rules.High, "asks for a password in a local page that sends data to a server", u)
			}
		default:
			f.Add("password-field", rules.Low, "a local page asks for a password", pw)
		}
	}
	if offSite && autoSubmitRe.find(s) != "" {
		f.Add("auto-submit", rules.Medium, "submits a form to another site as soon as it is opened", action)
	}
	if m := metaRefreshRe.submatches(s, 1); m != nil && isRemote(m[0]) {
		f.Add("meta-refresh", rules.Low, "redirects the reader to a web site as soon as it is opened", m[0])
	}
}

func isRemote(u string) bool {
	p, err := url.Parse(strings.TrimSpace(u))
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// smuggledPayload decodes the largest base64 literal and names what it is
// when that is something a page has no business carrying.
func smuggledPayload(ctx context.Context, text string) string {
	best := longestB64(text, 200, true)
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
