package tnef

import (
	"encoding/binary"
	"unicode/utf16"
)

// Builders for hand-made TNEF streams: the corpus has real samples, these
// make the edge cases (limits, lies, code pages) precise.

// attrID of an attribute: type word (high) and id (low).
func attrID(typ, id uint16) uint32 { return uint32(typ)<<16 | uint32(id) }

var (
	idRendData  = attrID(0x0006, attAttachRendData)
	idAttData   = attrID(0x0006, attAttachData)
	idTitle     = attrID(0x0001, attAttachTitle)
	idAttProps  = attrID(0x0006, attAttachment)
	idMsgProps  = attrID(0x0006, attMsgProps)
	idCodepage  = attrID(0x0006, attOemCodepage)
	idMsgClass  = attrID(0x0007, attMessageClass)
	idTransport = attrID(0x0006, attAttachTransportFilename)
)

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// stream is the signature, a legacy key and the attributes.
func stream(attrs ...[]byte) []byte {
	return cat(append([][]byte{le32(signature), le16(0x0001)}, attrs...)...)
}

// attr encodes one attribute with a correct checksum.
func attr(level byte, id uint32, data []byte) []byte {
	return cat([]byte{level}, le32(id), le32(uint32(len(data))), data, le16(checksum(data)))
}

func rendData() []byte { return attr(levelAttachment, idRendData, make([]byte, 14)) }

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// props encodes a counted property list.
func props(ps ...[]byte) []byte { return cat(append([][]byte{le32(uint32(len(ps)))}, ps...)...) }

func propI4(id uint16, v uint32) []byte { return cat(le16(ptI4), le16(id), le32(v)) }

func propVar(typ, id uint16, v []byte) []byte {
	return cat(le16(typ), le16(id), le32(1), le32(uint32(len(v))), pad4(append([]byte(nil), v...)))
}

func propBinary(id uint16, v []byte) []byte { return propVar(ptBinary, id, v) }
func propString8(id uint16, s []byte) []byte {
	return propVar(ptString8, id, append(append([]byte(nil), s...), 0))
}

func propUnicode(id uint16, s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return propVar(ptUnicode, id, append(b, 0, 0))
}

func propObject(id uint16, iid [16]byte, v []byte) []byte {
	return propVar(ptObject, id, cat(iid[:], v))
}

// fileAttachment is a by-value attachment with a title and attAttachData.
func fileAttachment(title string, data []byte) [][]byte {
	return [][]byte{
		rendData(),
		attr(levelAttachment, idTitle, append([]byte(title), 0)),
		attr(levelAttachment, idAttData, data),
		attr(levelAttachment, idAttProps, props(propI4(prAttachMethod, MethodByValue))),
	}
}

// embedded wraps a TNEF stream as a method-5 attachment.
func embedded(title string, inner []byte) [][]byte {
	return [][]byte{
		rendData(),
		attr(levelAttachment, idTitle, append([]byte(title), 0)),
		attr(levelAttachment, idAttProps, props(
			propObject(prAttachData, iidIMessage, inner),
			propI4(prAttachMethod, MethodEmbedded),
		)),
	}
}

func flatten(groups ...[][]byte) [][]byte {
	var out [][]byte
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
