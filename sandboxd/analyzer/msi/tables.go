package msi

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Budgets for one database: a hostile file cannot make the table reader
// allocate more than these, whatever its headers claim.
const (
	maxStrings   = 1 << 18
	maxStringLen = 1 << 20
	maxRows      = 1 << 16
	maxTables    = 4096
)

// nameAlphabet is the 64-character set MSI packs stream names into (the
// "base-64-ish" compression of MS-CFB names, as Wine's msi/table.c
// decode_streamname does it).
const nameAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._"

// DecodeStreamName turns a compound-file stream name into the MSI name:
// each code point in 0x3800..0x47FF holds two characters of nameAlphabet,
// 0x4800..0x483F one, and 0x4840 marks a table stream (returned with a "!"
// prefix so a table "File" and a stream "File" cannot be confused).
func DecodeStreamName(n string) string {
	var b strings.Builder
	for _, r := range n {
		switch {
		case r == 0x4840:
			b.WriteByte('!')
		case r >= 0x3800 && r < 0x4800:
			v := r - 0x3800
			b.WriteByte(nameAlphabet[v&0x3f])
			b.WriteByte(nameAlphabet[(v>>6)&0x3f])
		case r >= 0x4800 && r < 0x4840:
			b.WriteByte(nameAlphabet[r-0x4800])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// EncodeStreamName is the inverse of DecodeStreamName for names made of
// nameAlphabet (other characters are kept as they are); a leading "!"
// marks a table. The corpus generator writes MSI files with it.
func EncodeStreamName(n string) string {
	var out []rune
	if strings.HasPrefix(n, "!") {
		out = append(out, 0x4840)
		n = n[1:]
	}
	idx := func(c byte) int { return strings.IndexByte(nameAlphabet, c) }
	for i := 0; i < len(n); i++ {
		a := idx(n[i])
		if a < 0 {
			out = append(out, rune(n[i]))
			continue
		}
		if i+1 < len(n) {
			if b := idx(n[i+1]); b >= 0 {
				out = append(out, rune(0x3800+a+b<<6))
				i++
				continue
			}
		}
		out = append(out, rune(0x4800+a))
	}
	return string(out)
}

// stringPool is the database's string table: index 0 is the null string.
type stringPool struct {
	strs    []string
	refSize int // bytes per string reference in tables: 2, or 3 for large pools
}

// parseStringPool reads _StringPool (a code page word, then a
// length/refcount pair per string) and _StringData (the strings back to
// back). A string of 64 KiB or more has a zero length and its real length
// in the next pair, as Wine's msi_load_string_table reads it.
func parseStringPool(pool, data []byte) (*stringPool, error) {
	if len(pool) < 4 {
		return nil, fmt.Errorf("string pool: %d bytes, want at least 4", len(pool))
	}
	sp := &stringPool{refSize: 2, strs: []string{""}}
	if binary.LittleEndian.Uint32(pool)&0x80000000 != 0 {
		sp.refSize = 3
	}
	off := 0
	for i := 4; i+4 <= len(pool) && len(sp.strs) < maxStrings; i += 4 {
		n := int(binary.LittleEndian.Uint16(pool[i:]))
		refs := binary.LittleEndian.Uint16(pool[i+2:])
		if n == 0 && refs != 0 && i+8 <= len(pool) {
			n = int(binary.LittleEndian.Uint32(pool[i+4:]))
			i += 4
		}
		if n < 0 || n > maxStringLen || off+n > len(data) {
			return sp, fmt.Errorf("string pool: string %d runs past the data (%d+%d > %d)", len(sp.strs), off, n, len(data))
		}
		sp.strs = append(sp.strs, string(data[off:off+n]))
		off += n
	}
	return sp, nil
}

func (sp *stringPool) get(id uint32) string {
	if int64(id) < int64(len(sp.strs)) {
		return sp.strs[id]
	}
	return ""
}

// Column type bits (Wine's msipriv.h MSITYPE_*).
const (
	typeValid    = 0x0100
	typeString   = 0x0800
	typeNullable = 0x1000
)

// column is one column of a table as _Columns describes it.
type column struct {
	name string
	typ  uint16
}

func (c column) isString() bool { return c.typ&typeString != 0 }

// width is the bytes one cell of the column takes in the table stream:
// binary (stream) columns are two bytes, strings a string reference,
// integers two or four bytes.
func (c column) width(refSize int) int {
	switch {
	case c.typ&^typeNullable == typeString|typeValid:
		return 2
	case c.isString():
		return refSize
	case c.typ&0xff <= 2:
		return 2
	}
	return 4
}

// table is a decoded table: each row is its cells, strings resolved and
// integers as decimal text ("" for null).
type table struct {
	cols []column
	rows [][]string
}

func (t *table) col(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// cell returns row r's value in the named column, "" when absent.
func (t *table) cell(r int, name string) string {
	i := t.col(name)
	if i < 0 || r >= len(t.rows) || i >= len(t.rows[r]) {
		return ""
	}
	return t.rows[r][i]
}

// readInt reads a little-endian cell of w bytes.
func readInt(b []byte, w int) uint32 {
	var v uint32
	for k := w - 1; k >= 0; k-- {
		v = v<<8 | uint32(b[k])
	}
	return v
}

// decodeTable reads a table stream: cells are stored column by column, so
// the row count is the stream length over the row width. Integers are
// stored with their sign bit flipped (0 is null).
func decodeTable(data []byte, cols []column, sp *stringPool) (*table, error) {
	t := &table{cols: cols}
	rowSize := 0
	for _, c := range cols {
		rowSize += c.width(sp.refSize)
	}
	if rowSize == 0 {
		return t, nil
	}
	if len(data)%rowSize != 0 {
		return nil, fmt.Errorf("table stream of %d bytes is not a whole number of %d-byte rows", len(data), rowSize)
	}
	n := len(data) / rowSize
	if n > maxRows {
		return nil, fmt.Errorf("table has %d rows, more than %d", n, maxRows)
	}
	t.rows = make([][]string, n)
	for r := range t.rows {
		t.rows[r] = make([]string, len(cols))
	}
	off := 0
	for ci, c := range cols {
		w := c.width(sp.refSize)
		for r := 0; r < n; r++ {
			v := readInt(data[off+r*w:], w)
			switch {
			case c.typ&^typeNullable == typeString|typeValid:
				// A stream column: the data lives in "Table.Key".
			case c.isString():
				t.rows[r][ci] = sp.get(v)
			case v == 0:
			case w == 2:
				t.rows[r][ci] = fmt.Sprint(int32(v) - 0x8000)
			default:
				t.rows[r][ci] = fmt.Sprint(int64(v) - 0x80000000)
			}
		}
		off += n * w
	}
	return t, nil
}

// schema reads _Columns (Table, Number, Name, Type; itself stored column
// by column) into the columns of every table, in column order.
func schema(data []byte, sp *stringPool) (map[string][]column, error) {
	// The cells are read raw: Number and Type are needed as numbers.
	rs := sp.refSize
	rowSize := 2*rs + 4
	if len(data)%rowSize != 0 {
		return nil, fmt.Errorf("_Columns: %d bytes is not a whole number of %d-byte rows", len(data), rowSize)
	}
	n := len(data) / rowSize
	if n > maxRows {
		return nil, fmt.Errorf("_Columns has %d rows", n)
	}
	out := map[string][]column{}
	tabOff, numOff, nameOff, typOff := 0, n*rs, n*rs+n*2, 2*n*rs+n*2
	for r := 0; r < n; r++ {
		tname := sp.get(readInt(data[tabOff+r*rs:], rs))
		num := int(readInt(data[numOff+r*2:], 2)) - 0x8000
		name := sp.get(readInt(data[nameOff+r*rs:], rs))
		typ := uint16(int(readInt(data[typOff+r*2:], 2)) - 0x8000)
		if num < 1 || num > 32 || tname == "" {
			continue
		}
		cs := out[tname]
		if len(out) >= maxTables && cs == nil {
			continue
		}
		for len(cs) < num {
			cs = append(cs, column{})
		}
		cs[num-1] = column{name: name, typ: typ}
		out[tname] = cs
	}
	for t, cs := range out {
		for _, c := range cs {
			if c.typ == 0 {
				return nil, fmt.Errorf("_Columns: table %q has a gap in its column numbers", t)
			}
		}
	}
	return out, nil
}
