package extract

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/airlockmail/airlock/verdict"
)

func appxZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// payloadFirstMSIX has 100 KiB of program before the manifest's local
// header, as packers write it.
func payloadFirstMSIX(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "App.exe", Method: zip.Store})
	w.Write(append([]byte("MZ"), make([]byte, 100<<10)...))
	w, _ = zw.Create("AppxManifest.xml")
	w.Write([]byte("<Package/>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Installers reach the sandbox as executables whatever their name: an
// MSIX is a zip and an App Installer file is XML to mimetype, and XML
// ("other") is not scanned by default.
func TestSniffInstallers(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		typ  string
		cat  verdict.Category
	}{
		{"msix", appxZip(t, "AppxManifest.xml", "AppxBlockMap.xml", "[Content_Types].xml"), "application/vnd.ms-appx", verdict.Executable},
		{"msixbundle", appxZip(t, "AppxMetadata/AppxBundleManifest.xml", "app.msix"), "application/vnd.ms-appx", verdict.Executable},
		{"plain zip", appxZip(t, "readme.txt", "data.xml"), "application/zip", verdict.Archive},
		{"msix, payload first", payloadFirstMSIX(t), "application/vnd.ms-appx", verdict.Executable},
		{"appinstaller", []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<AppInstaller xmlns="http://schemas.microsoft.com/appx/appinstaller/2021" Uri="https://example.org/a.appinstaller"><MainPackage Uri="https://example.org/a.msix"/></AppInstaller>`), "application/appinstaller", verdict.Executable},
		{"other xml", []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<config><item>1</item></config>`), "text/xml", verdict.Other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ := Sniff(tc.data)
			if typ != tc.typ {
				t.Errorf("Sniff = %q, want %q", typ, tc.typ)
			}
			if c := Categorize(typ, "attachment"); c != tc.cat {
				t.Errorf("Categorize = %s, want %s", c, tc.cat)
			}
		})
	}
	if c := Categorize("text/plain", "update.appinstaller"); c != verdict.Executable {
		t.Errorf(".appinstaller by name = %s, want executable", c)
	}
}
