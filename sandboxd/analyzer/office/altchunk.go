package office

// altChunk parts: a Word package can import another document as part of
// its body (w:altChunk → an aFChunk relationship). Word renders the part
// with the importer for its format — RTF, HTML, MHT (MIME HTML) or another
// Word document — so a dropper hides its RTF exploit, its Follina page or
// its remote template there, behind a harmless docx. Each part is opened
// and judged with the same code as a standalone file of its format.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// Bounds on MHT parts.
const (
	maxMHTParts = 256
	maxMHTDepth = 3
)

// altChunks opens the parts named by aFChunk relationships.
func (a *Analyzer) altChunks(ctx context.Context, zr *zip.Reader, targets []string, read func(*zip.File) []byte, fs *rules.Findings, res *result) {
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[strings.ToLower(f.Name)] = f
	}
	for _, t := range targets {
		if rules.Done(ctx) {
			return
		}
		f, ok := byName[strings.ToLower(t)]
		if !ok {
			fs.Add("altchunk-missing", rules.Low, "imports a part (altChunk) that is not in the package", t)
			continue
		}
		a.judgeImported(ctx, read(f), t, fs, res, 0)
	}
}

// judgeImported judges bytes that a document imports, by what they are.
func (a *Analyzer) judgeImported(ctx context.Context, data []byte, name string, fs *rules.Findings, res *result, depth int) {
	if len(data) == 0 || depth > maxMHTDepth {
		return
	}
	head := strings.ToLower(string(data[:min(len(data), 4096)]))
	switch {
	case isRTF(data):
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name+" (RTF)")
		analyzeRTF(ctx, data, fs)
	case bytes.HasPrefix(data, oleMagic):
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name+" (compound file)")
		a.analyzeOLE(ctx, data, fs, res)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name+" (Word package)")
		if res.nesting >= maxMHTDepth {
			fs.Add("altchunk-nesting", rules.Medium, "imports packages nested too deep to follow", name)
			return
		}
		res.nesting++
		a.analyzeOOXML(ctx, data, fs, res)
		res.nesting--
	case strings.Contains(head, "mime-version:") || strings.Contains(head, "content-type: multipart/"):
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name+" (MHT)")
		a.judgeMHT(ctx, data, name, fs, res, depth)
	case strings.Contains(head, "<html") || strings.Contains(head, "<body") || strings.Contains(head, "<script") ||
		strings.Contains(head, "<!doctype") || strings.Contains(head, "<meta") || strings.Contains(head, "<a "):
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name+" (HTML)")
		judgeHTML(ctx, data, fs)
	default:
		fs.Add("altchunk", rules.Info, "imports a part into the document body (altChunk)", name)
		if rules.ContainsEICAR(data) {
			fs.AddEICAR(name)
		}
	}
}

// judgeHTML runs the script analyzer's HTML judgement on a page (the
// code that judges standalone HTML attachments) and judges the URIs it
// navigates to.
func judgeHTML(ctx context.Context, data []byte, fs *rules.Findings) {
	r, _ := script.New().Analyze(ctx, &analyzer.File{Data: data, Ext: ".html", Type: "text/html"})
	for _, f := range r.Findings {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
	judgeHTMLLinks(string(data[:min(len(data), 4<<20)]), fs)
}

// judgeMHT walks a MIME HTML archive and judges each part. An archive the
// MIME reader rejects is still judged as text, as Word's tolerant
// importer would show it.
func (a *Analyzer) judgeMHT(ctx context.Context, data []byte, name string, fs *rules.Findings, res *result, depth int) {
	// Word accepts text before the headers; start at the first header.
	if i := strings.Index(strings.ToLower(string(data[:min(len(data), 4096)])), "mime-version:"); i > 0 {
		data = data[i:]
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		fs.Add("mht-malformed", rules.Low, "an imported MHT part is malformed", err.Error())
		judgeHTML(ctx, data, fs)
		return
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		body, _ := decodeCTE(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		a.judgeImported(ctx, asHTMLIfText(mt, body), name, fs, res, depth+1)
		return
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for n := 0; n < maxMHTParts && !rules.Done(ctx); n++ {
		p, err := mr.NextPart()
		if err != nil {
			if err != io.EOF {
				fs.Add("mht-malformed", rules.Low, "an imported MHT part is malformed", err.Error())
			}
			return
		}
		// multipart decodes quoted-printable itself; base64 is ours.
		body, _ := decodeCTE(p.Header.Get("Content-Transfer-Encoding"), p)
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		loc := p.Header.Get("Content-Location")
		if loc == "" {
			loc = name
		}
		a.judgeImported(ctx, asHTMLIfText(pt, body), loc, fs, res, depth+1)
	}
}

// asHTMLIfText keeps bytes as they are; a text/html part without tags
// that the sniffing in judgeImported needs gets a wrapper.
func asHTMLIfText(mediaType string, body []byte) []byte {
	if mediaType == "text/html" && !bytes.Contains(bytes.ToLower(body[:min(len(body), 4096)]), []byte("<")) {
		return append([]byte("<html>"), body...)
	}
	return body
}

// decodeCTE reads a MIME body under a part budget, undoing base64.
func decodeCTE(cte string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPartBytes))
	if strings.EqualFold(strings.TrimSpace(cte), "base64") {
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, derr := base64.StdEncoding.Decode(out, clean)
		return out[:n], derr
	}
	return b, err
}
