package jsemu

import (
	"encoding/base64"
	"strings"

	"github.com/dop251/goja"
)

// body is binary content as COM passes it around (a SAFEARRAY of bytes in
// responseBody, ADODB.Stream.Read, nodeTypedValue): opaque to the script,
// tracked here with the URLs it came from.
type body struct {
	data []byte
	from []string
}

// fakeMarker starts every fake download's text, so that code evaluated
// from it, or text written from it, is traced back to its URL.
const fakeMarker = "/* airlock fake download: "

// fakePayload is the content of every successful fake download: a PE-like
// stub (droppers check for "MZ" or a size) that names the URL.
func fakePayload(u string) []byte {
	b := []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
	b = append(b, fakeMarker+u+" */"...)
	for len(b) < 4096 {
		b = append(b, 0)
	}
	return b
}

func (e *emu) newBody(data []byte, from []string) *goja.Object {
	o := e.newCOM("Byte()")
	o.set("length", len(data))
	e.bodies[o.self] = &body{data: data, from: from}
	return o.self
}

func (e *emu) bodyOf(v goja.Value) *body {
	if obj, ok := v.(*goja.Object); ok {
		return e.bodies[obj]
	}
	return nil
}

// fakeBodyURL returns the URL when s carries a fake download's marker.
func (e *emu) fakeBodyURL(s string) string {
	i := strings.Index(s, fakeMarker)
	if i < 0 {
		return ""
	}
	rest := s[i+len(fakeMarker):]
	if j := strings.Index(rest, " */"); j >= 0 {
		return rest[:j]
	}
	return ""
}

// fetch records a download and says whether it fails: in netFailFirst
// mode the run's first download fails, as box-js does, so that droppers
// move on to their fallback URLs.
func (e *emu) fetch(u, method string) (ok bool) {
	e.fetches++
	e.rec.add(evFetch, u, method)
	if e.mode == netFailFirst && e.fetches == 1 {
		return false
	}
	e.rec.add(evFetchOK, u, method)
	return true
}

func (e *emu) xhr(progID string) *goja.Object {
	vm := e.vm
	o := e.newCOM(progID)
	o.set("readystate", 0).set("status", 0).set("statustext", "").set("responsetext", "")
	o.props["responsebody"] = goja.Null()
	o.props["responsestream"] = goja.Null()
	o.props["onreadystatechange"] = goja.Null()
	o.method(func(c goja.FunctionCall) goja.Value {
		o.set("method", str(c.Argument(0))).set("url", str(c.Argument(1))).set("readystate", 1)
		return goja.Undefined()
	}, "open")
	noop := func(goja.FunctionCall) goja.Value { return goja.Undefined() }
	o.method(noop, "setrequestheader", "setoption", "settimeouts", "setproxy", "setcredentials", "abort", "setautologonpolicy", "setclientcertificate")
	o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(true) }, "waitforresponse")
	o.method(func(c goja.FunctionCall) goja.Value {
		u := str(o.props["url"])
		if !e.fetch(u, str(o.props["method"])) {
			o.set("readystate", 4)
			e.throw("The server name or address could not be resolved", -2147012889)
		}
		payload := fakePayload(u)
		b := e.newBody(payload, []string{u})
		o.set("readystate", 4).set("status", 200).set("statustext", "OK")
		o.set("responsetext", string(payload[16:]))
		o.props["responsebody"] = b
		o.props["responsestream"] = b
		if fn, ok := goja.AssertFunction(o.props["onreadystatechange"]); ok {
			_, err := fn(o.self)
			if err != nil {
				panic(err)
			}
		}
		return goja.Undefined()
	}, "send")
	o.method(func(c goja.FunctionCall) goja.Value {
		if strings.EqualFold(str(c.Argument(0)), "content-type") {
			return vm.ToValue("application/octet-stream")
		}
		return vm.ToValue("")
	}, "getresponseheader")
	o.method(func(goja.FunctionCall) goja.Value {
		return vm.ToValue("Content-Type: application/octet-stream\r\nContent-Length: 4096\r\n")
	}, "getallresponseheaders")
	return o.self
}

func (e *emu) stream() *goja.Object {
	vm := e.vm
	o := e.newCOM("ADODB.Stream")
	var data []byte
	var from []string
	pos := 0
	sync := func() { o.set("size", len(data)).set("position", pos).set("eos", pos >= len(data)) }
	o.set("type", 1).set("charset", "Unicode").set("mode", 0).set("state", 0).set("lineseparator", -1)
	sync()
	o.onSet = func(k string, v goja.Value) bool {
		if k == "position" {
			pos = int(min(max(v.ToInteger(), 0), int64(len(data))))
			sync()
			return true
		}
		return false
	}
	add := func(b []byte, f []string) {
		if len(data)+len(b) > maxFakeFile {
			b = b[:max(0, maxFakeFile-len(data))]
		}
		data = append(data[:pos], b...)
		pos = len(data)
		from = append(from, f...)
		sync()
	}
	o.method(func(goja.FunctionCall) goja.Value { o.set("state", 1); return goja.Undefined() }, "open")
	o.method(func(goja.FunctionCall) goja.Value { o.set("state", 0); return goja.Undefined() }, "close")
	o.method(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, "flush", "cancel")
	o.method(func(goja.FunctionCall) goja.Value { data = data[:pos]; sync(); return goja.Undefined() }, "seteos")
	o.method(func(c goja.FunctionCall) goja.Value {
		v := c.Argument(0)
		if b := e.bodyOf(v); b != nil {
			add(b.data, b.from)
		} else {
			s := str(v)
			var f []string
			if u := e.fakeBodyURL(s); u != "" {
				f = []string{u}
			}
			add([]byte(s), f)
		}
		return goja.Undefined()
	}, "write", "writetext")
	o.method(func(c goja.FunctionCall) goja.Value {
		n := len(data) - pos
		if a := c.Argument(0); !goja.IsUndefined(a) && a.ToInteger() >= 0 {
			n = int(min(a.ToInteger(), int64(n)))
		}
		b := append([]byte(nil), data[pos:pos+n]...)
		pos += n
		sync()
		return e.newBody(b, from)
	}, "read")
	o.method(func(c goja.FunctionCall) goja.Value {
		n := len(data) - pos
		if a := c.Argument(0); !goja.IsUndefined(a) && a.ToInteger() >= 0 {
			n = int(min(a.ToInteger(), int64(n)))
		}
		s := string(data[pos : pos+n])
		pos += n
		sync()
		return vm.ToValue(s)
	}, "readtext")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.writeFile(str(c.Argument(0)), data, from, "ADODB.Stream")
		return goja.Undefined()
	}, "savetofile")
	o.method(func(c goja.FunctionCall) goja.Value {
		f, ok := e.readFile(str(c.Argument(0)))
		if !ok {
			e.throw("File could not be opened.", -2146825286)
		}
		data, from, pos = append([]byte(nil), f.data...), f.from, 0
		sync()
		return goja.Undefined()
	}, "loadfromfile")
	o.method(func(c goja.FunctionCall) goja.Value {
		if dst, ok := c.Argument(0).(*goja.Object); ok {
			if w, ok := goja.AssertFunction(dst.Get("Write")); ok {
				if _, err := w(dst, e.newBody(data[pos:], from)); err != nil {
					panic(err)
				}
			}
		}
		return goja.Undefined()
	}, "copyto")
	return o.self
}

// domDocument fakes MSXML's DOM, which droppers use to decode base64:
// an element with dataType "bin.base64" turns text into nodeTypedValue.
func (e *emu) domDocument(progID string) *goja.Object {
	o := e.newCOM(progID)
	o.method(func(c goja.FunctionCall) goja.Value {
		el := e.newCOM("IXMLDOMElement")
		el.set("nodename", str(c.Argument(0))).set("datatype", "").set("text", "")
		el.props["nodetypedvalue"] = goja.Null()
		el.onSet = func(k string, v goja.Value) bool {
			dt := strings.ToLower(str(el.props["datatype"]))
			switch {
			case k == "text" && dt == "bin.base64":
				s := str(v)
				dec, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
					if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
						return -1
					}
					return r
				}, s))
				if err != nil {
					dec = nil
				}
				el.props["text"] = v
				el.props["nodetypedvalue"] = e.newBody(dec, nil)
				return true
			case k == "nodetypedvalue" && dt == "bin.base64":
				if b := e.bodyOf(v); b != nil {
					el.props["text"] = e.vm.ToValue(base64.StdEncoding.EncodeToString(b.data))
				} else {
					el.props["text"] = e.vm.ToValue(base64.StdEncoding.EncodeToString([]byte(str(v))))
				}
				el.props["nodetypedvalue"] = v
				return true
			}
			return false
		}
		el.permissive = true
		return el.self
	}, "createelement")
	o.method(func(c goja.FunctionCall) goja.Value {
		u := str(c.Argument(0))
		if strings.Contains(u, "://") {
			e.fetch(u, "DOMDocument.load")
		}
		return e.vm.ToValue(true)
	}, "load")
	o.method(func(goja.FunctionCall) goja.Value { return e.vm.ToValue(true) }, "loadxml")
	o.set("async", false)
	o.permissive = true
	return o.self
}
