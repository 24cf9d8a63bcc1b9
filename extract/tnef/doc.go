// Package tnef reads TNEF streams (winmail.dat, application/ms-tnef), the
// format Outlook and Exchange use to carry a message's MAPI properties and
// attachments through SMTP, and returns the attachments with their names,
// bytes, attach method and nested (embedded) messages.
//
// What it promises:
//
//   - Decode never reads outside its input and never allocates from a
//     length the input claims: every count and length is checked against
//     the bytes that remain before it is used, and attachment bytes are
//     sub-slices of the input (no copy, so memory stays bounded by the
//     input size whatever the stream claims).
//   - Only input that does not start with the TNEF signature is an error
//     (ErrNotTNEF), so a caller can treat it as a plain file. Everything
//     else that is wrong (bad checksums, truncated or junk attributes,
//     unknown property types) is tolerated: what was read before the fault
//     is kept and the fault is reported in Message.Problems or
//     Attachment.Problem.
//   - Limits (attachments, bytes, nesting depth of embedded messages) hold
//     across the whole tree of embedded messages. Past the byte or depth
//     limit an attachment is still listed, with Limit set and its data or
//     embedded message withheld; past the attachment limit the walk stops
//     and Message.Limit says so.
//
// The subtle parts, with their references:
//
//   - The stream is a signature (0x223E9F78), a legacy key, then attributes
//     laid end to end: level byte, attribute id dword, length dword, data,
//     and a 16-bit checksum that is the sum of the data bytes modulo 65536
//     ([MS-OXTNEF] section 2.1.3). Attributes are dispatched on the low 16
//     bits of the id only, because some writers leave the type word zero.
//   - Each attachment starts with attAttachRendData ([MS-OXTNEF] section
//     2.1.3.3.15); attachment attributes that come before any of them still
//     get an attachment of their own.
//   - attMsgProps and attAttachment hold a counted list of MAPI properties
//     (see "attMAPIProps" in the MAPI reference): property tag, for named
//     properties (id >= 0x8000) a GUID, a kind and either a dword id or a
//     counted UTF-16 name, then the value. Fixed-width values are padded to
//     4 bytes (so PT_I2 and PT_BOOLEAN take 4); variable-width values
//     (PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT) and every
//     multi-valued property carry a value count, and each variable value
//     its byte length, then the bytes, padded to 4.
//   - A PT_OBJECT value begins with the 16-byte IID of the object's
//     interface, counted in the value length. IID_IMessage means the rest is
//     an embedded TNEF stream (attach method 5), decoded recursively;
//     IID_IStorage means the rest is an OLE compound file (method 6). The IID
//     is stripped in both cases, so an OLE attachment's Data is the compound
//     file itself.
//   - Values of encapsulated properties win over the attributes they
//     duplicate ([MS-OXTNEF] section 2.1.3): PR_ATTACH_LONG_FILENAME, then
//     PR_ATTACH_FILENAME, then attAttachTitle name the attachment, and
//     PR_ATTACH_DATA_BIN/OBJ wins over attAttachData.
//   - 8-bit strings are in the code page named by attOemCodepage (which
//     despite its name is usually the ANSI code page, e.g. 1252); without
//     one, or with one this package does not know, Windows-1252.
package tnef
