package sandboxd

import (
	"strings"
	"testing"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// TestUploadTypesAreTheFiltersTypes: an upload without a category is
// typed by extract.Classify, the gate's sniffer: the same type and
// category as the filter gives, and types carry no parameters (the file
// list once showed "text/plain; charset=utf-8" beside bare types).
func TestUploadTypesAreTheFiltersTypes(t *testing.T) {
	st, _ := backends[0].open(t)
	e := startEnv(t, st, envOptions{})
	for _, c := range []struct {
		data, ext string
		typ       string
		cat       verdict.Category
	}{
		{"a plain note with an é in it\n", ".txt", "text/plain", verdict.Other},
		{"@echo off\r\ncopy a b\r\n", ".txt", "text/x-msdos-batch", verdict.Script},
		{"var x = 1;\n", ".js", "text/plain", verdict.Script},
	} {
		up := e.upload(e.admin, []byte(c.data), "", c.ext, api.RetainNone)
		typ, cat := extract.Classify([]byte(c.data), c.ext)
		if up.File.Type != c.typ || up.File.Category != c.cat || up.File.Type != typ || up.File.Category != cat {
			t.Errorf("%q%s: sandboxd %s/%s, filter %s/%s, want %s/%s", c.data, c.ext, up.File.Type, up.File.Category, typ, cat, c.typ, c.cat)
		}
		if strings.Contains(up.File.Type, ";") {
			t.Errorf("%q: type %q carries parameters", c.data, up.File.Type)
		}
	}
}
