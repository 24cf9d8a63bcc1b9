package corpus

import (
	"encoding/binary"
	"sort"

	"github.com/airlockmail/airlock/sandboxd/analyzer/msi"
)

// MSICol is one column of a generated MSI table: its name and its type
// word as _Columns stores it (MSITYPE_* bits and the size).
type MSICol struct {
	Name string
	Type uint16
}

// MSITable is one table of a generated MSI database; a cell is a string,
// an int or nil (null). Rows are sorted by their first column.
type MSITable struct {
	Name string
	Cols []MSICol
	Rows [][]any
}

// Column types of the standard tables (Windows Installer SDK schema).
var (
	msiKey72  = uint16(0x2d48) // s72, primary key
	msiStr72  = uint16(0x1d48) // S72, nullable
	msiStr255 = uint16(0x1dff) // S255, nullable
	msiInt2   = uint16(0x0502) // i2
	msiInt2N  = uint16(0x1502) // I2, nullable
	msiInt4N  = uint16(0x1104) // I4, nullable
	msiText   = uint16(0x0f00) // l0, localizable text
	msiStream = uint16(0x0900) // v0, binary (a stream named Table.Key)
)

// CustomActionTable, PropertyTable, BinaryTable and SequenceTable build
// the standard tables from rows.
func CustomActionTable(rows ...[]any) MSITable {
	return MSITable{Name: "CustomAction", Cols: []MSICol{{"Action", msiKey72}, {"Type", msiInt2}, {"Source", msiStr72}, {"Target", msiStr255}, {"ExtendedType", msiInt4N}}, Rows: rows}
}

func PropertyTable(kv ...string) MSITable {
	t := MSITable{Name: "Property", Cols: []MSICol{{"Property", msiKey72}, {"Value", msiText}}}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Rows = append(t.Rows, []any{kv[i], kv[i+1]})
	}
	return t
}

func BinaryTable(names ...string) MSITable {
	t := MSITable{Name: "Binary", Cols: []MSICol{{"Name", msiKey72}, {"Data", msiStream}}}
	for _, n := range names {
		t.Rows = append(t.Rows, []any{n, nil})
	}
	return t
}

func SequenceTable(name string, actions ...any) MSITable {
	t := MSITable{Name: name, Cols: []MSICol{{"Action", msiKey72}, {"Condition", msiStr255}, {"Sequence", msiInt2N}}}
	for i := 0; i+1 < len(actions); i += 2 {
		t.Rows = append(t.Rows, []any{actions[i], nil, actions[i+1]})
	}
	return t
}

// MSI writes a Windows Installer database: the string pool, _Tables,
// _Columns and each table stream (cells column by column, integers with
// the sign bit flipped), plus extra streams such as "Binary.Setup", all
// with MSI's compressed stream names, under a root storage with the MSI
// class id and a summary information stream.
func MSI(tables []MSITable, streams map[string][]byte) []byte {
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	var strs []string
	ids := map[string]int{}
	refs := map[int]int{}
	id := func(s string) int {
		if s == "" {
			return 0
		}
		if i, ok := ids[s]; ok {
			refs[i]++
			return i
		}
		strs = append(strs, s)
		ids[s] = len(strs)
		refs[len(strs)]++
		return len(strs)
	}
	le := binary.LittleEndian
	u16 := func(b []byte, v int) []byte { return le.AppendUint16(b, uint16(v)) }

	var nodes []*Node
	var tablesStream, cTab, cNum, cName, cType []byte
	for _, t := range tables {
		tablesStream = u16(tablesStream, id(t.Name))
		for i, c := range t.Cols {
			cTab = u16(cTab, id(t.Name))
			cNum = u16(cNum, 0x8000+i+1)
			cName = u16(cName, id(c.Name))
			cType = u16(cType, 0x8000+int(c.Type))
		}
	}
	for _, t := range tables {
		rows := append([][]any(nil), t.Rows...)
		sort.SliceStable(rows, func(i, j int) bool { return rows[i][0].(string) < rows[j][0].(string) })
		var data []byte
		for ci, c := range t.Cols {
			for _, r := range rows {
				v := r[ci]
				switch {
				case c.Type&^0x1000 == msiStream:
					// Wine writes the string id of the row key's stream name
					// here; readers find the stream by name.
					data = u16(data, id(t.Name+"."+r[0].(string)))
				case c.Type&0x0800 != 0:
					s, _ := v.(string)
					data = u16(data, id(s))
				case c.Type&0xff == 4:
					n, ok := v.(int)
					x := uint32(0)
					if ok {
						x = uint32(int64(n) + 0x80000000)
					}
					data = le.AppendUint32(data, x)
				default:
					n, ok := v.(int)
					x := 0
					if ok {
						x = n + 0x8000
					}
					data = u16(data, x)
				}
			}
		}
		nodes = append(nodes, Stream(msi.EncodeStreamName("!"+t.Name), data))
	}
	var pool, sdata []byte
	pool = le.AppendUint32(pool, 1252)
	for i, s := range strs {
		pool = u16(pool, len(s))
		pool = u16(pool, refs[i+1])
		sdata = append(sdata, s...)
	}
	nodes = append(nodes,
		Stream(msi.EncodeStreamName("!_StringPool"), pool),
		Stream(msi.EncodeStreamName("!_StringData"), sdata),
		Stream(msi.EncodeStreamName("!_Tables"), tablesStream),
		Stream(msi.EncodeStreamName("!_Columns"), append(append(append(cTab, cNum...), cName...), cType...)),
	)
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		nodes = append(nodes, Stream(msi.EncodeStreamName(n), streams[n]))
	}
	nodes = append(nodes, Stream("\x05SummaryInformation", summaryInfo()))
	return CFBWithCLSID(msi.PackageCLSID(), nodes...)
}

// summaryInfo is a minimal SummaryInformation property set: code page
// 1252, a title, the template (platform;language) and the page count
// (schema 200), which msiinfo and Windows read.
func summaryInfo() []byte {
	le := binary.LittleEndian
	type prop struct {
		id  uint32
		val []byte
	}
	lpstr := func(s string) []byte {
		b := le.AppendUint32(nil, 30) // VT_LPSTR
		b = le.AppendUint32(b, uint32(len(s)+1))
		b = append(b, s...)
		b = append(b, 0)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	i4 := func(t uint32, v uint32) []byte { return le.AppendUint32(le.AppendUint32(nil, t), v) }
	props := []prop{
		{1, i4(2, 1252)}, // PID_CODEPAGE, VT_I2 (padded)
		{2, lpstr("Installation Database")},
		{7, lpstr("Intel;1033")},
		{9, lpstr("{6F1E3A2B-0C4D-4E5F-8A9B-1C2D3E4F5A6B}")},
		{14, i4(3, 200)}, // PID_PAGECOUNT: schema
		{15, i4(3, 2)},   // PID_WORDCOUNT: compressed
	}
	var body []byte
	head := le.AppendUint32(nil, 0)
	head = le.AppendUint32(head, uint32(len(props)))
	off := 8 + 8*len(props)
	for _, p := range props {
		head = le.AppendUint32(head, p.id)
		head = le.AppendUint32(head, uint32(off+len(body)))
		body = append(body, p.val...)
	}
	section := append(head, body...)
	le.PutUint32(section, uint32(len(section)))
	b := []byte{0xfe, 0xff, 0, 0, 6, 2, 2, 0} // byte order, version, OS
	b = append(b, make([]byte, 16)...)        // CLSID
	b = le.AppendUint32(b, 1)
	// FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9}
	b = append(b, 0xe0, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10, 0xab, 0x91, 0x08, 0x00, 0x2b, 0x27, 0xb3, 0xd9)
	b = le.AppendUint32(b, uint32(len(b)+4))
	return append(b, section...)
}
