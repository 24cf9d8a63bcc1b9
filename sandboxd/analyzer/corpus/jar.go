package corpus

import (
	"encoding/binary"
	"strings"
)

// Class assembles a Java class file (version 52, Java 8) with one public
// static main method. Code is appended with the op helpers, which intern
// constants as javac would; the result is verifiable straight-line code
// (no branches, so no StackMapTable is needed).
type Class struct {
	name, super string
	pool        [][]byte
	index       map[string]uint16
	code        []byte
	maxStack    int
}

// NewClass starts class name (internal form, "com/contoso/Main").
func NewClass(name string) *Class {
	return &Class{name: name, super: "java/lang/Object", index: map[string]uint16{}, pool: [][]byte{nil}}
}

func (c *Class) intern(key string, entry []byte) uint16 {
	if i, ok := c.index[key]; ok {
		return i
	}
	c.pool = append(c.pool, entry)
	i := uint16(len(c.pool) - 1)
	c.index[key] = i
	return i
}

func u2(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func (c *Class) utf8(s string) uint16 {
	return c.intern("u:"+s, append(append([]byte{1}, u2(uint16(len(s)))...), s...))
}

// ClassIndex is the constant pool index of class n (for Op operands).
func (c *Class) ClassIndex(n string) uint16 { return c.class(n) }

func (c *Class) class(n string) uint16 {
	return c.intern("c:"+n, append([]byte{7}, u2(c.utf8(n))...))
}

func (c *Class) str(s string) uint16 {
	return c.intern("s:"+s, append([]byte{8}, u2(c.utf8(s))...))
}

func (c *Class) ref(tag byte, cls, name, desc string) uint16 {
	nt := c.intern("nt:"+name+desc, append(append([]byte{12}, u2(c.utf8(name))...), u2(c.utf8(desc))...))
	return c.intern(string(tag)+cls+"."+name+desc, append(append([]byte{tag}, u2(c.class(cls))...), u2(nt)...))
}

// Op appends raw bytecode; stack is the stack depth it reaches.
func (c *Class) Op(stack int, b ...byte) *Class {
	c.code = append(c.code, b...)
	c.maxStack = max(c.maxStack, stack)
	return c
}

// Ldc pushes a string literal; depth is the stack depth after the push.
func (c *Class) Ldc(s string, depth int) *Class {
	return c.Op(depth, append([]byte{0x13}, u2(c.str(s))...)...) // ldc_w
}

// Invoke calls a method: kind is "static", "virtual" or "special".
func (c *Class) Invoke(kind, cls, name, desc string, depth int) *Class {
	op := map[string]byte{"virtual": 0xb6, "special": 0xb7, "static": 0xb8}[kind]
	return c.Op(depth, append([]byte{op}, u2(c.ref(10, cls, name, desc))...)...)
}

// GetStatic pushes a static field.
func (c *Class) GetStatic(cls, name, desc string, depth int) *Class {
	return c.Op(depth, append([]byte{0xb2}, u2(c.ref(9, cls, name, desc))...)...)
}

// New allocates an object and duplicates the reference (new; dup).
func (c *Class) New(cls string, depth int) *Class {
	return c.Op(depth, append(append([]byte{0xbb}, u2(c.class(cls))...), 0x59)...)
}

// StringArray builds a String[] of the literals (anewarray, dup, aastore).
func (c *Class) StringArray(depth int, items ...string) *Class {
	c.Op(depth+1, 0x10, byte(len(items)))                                      // bipush n
	c.Op(depth+1, append([]byte{0xbd}, u2(c.class("java/lang/String"))...)...) // anewarray
	for i, s := range items {
		c.Op(depth+2, 0x59, 0x10, byte(i)) // dup, bipush i
		c.Ldc(s, depth+4)
		c.Op(depth+4, 0x53) // aastore
	}
	return c
}

// Pop discards the top of the stack.
func (c *Class) Pop() *Class { return c.Op(0, 0x57) }

// Bytes writes the class file: main([Ljava/lang/String;)V runs the code,
// then returns.
func (c *Class) Bytes() []byte {
	this, super := c.class(c.name), c.class(c.super)
	mainName, mainDesc, codeName := c.utf8("main"), c.utf8("([Ljava/lang/String;)V"), c.utf8("Code")
	code := append(append([]byte(nil), c.code...), 0xb1) // return
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0xCAFEBABE)
	b = append(b, 0, 0, 0, 52)
	b = append(b, u2(uint16(len(c.pool)))...)
	for _, e := range c.pool[1:] {
		b = append(b, e...)
	}
	b = append(b, u2(0x0021)...) // public super
	b = append(b, u2(this)...)
	b = append(b, u2(super)...)
	b = append(b, 0, 0, 0, 0) // no interfaces, no fields
	b = append(b, u2(1)...)   // one method
	b = append(b, u2(0x0009)...)
	b = append(b, u2(mainName)...)
	b = append(b, u2(mainDesc)...)
	b = append(b, u2(1)...)
	attr := append(u2(uint16(max(c.maxStack, 1))), u2(1)...)
	attr = binary.BigEndian.AppendUint32(attr, uint32(len(code)))
	attr = append(attr, code...)
	attr = append(attr, 0, 0, 0, 0) // no exception table, no attributes
	b = append(b, u2(codeName)...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(attr)))
	b = append(b, attr...)
	return append(b, 0, 0) // no class attributes
}

// Jar writes a Java archive: the manifest first (as the jar tool does),
// then the members.
func Jar(mainClass string, members ...ZipEntry) []byte {
	var m strings.Builder
	m.WriteString("Manifest-Version: 1.0\r\nCreated-By: 17.0.2 (Eclipse Adoptium)\r\n")
	if mainClass != "" {
		m.WriteString("Main-Class: " + mainClass + "\r\n")
	}
	m.WriteString("\r\n")
	return Zip(append([]ZipEntry{{Name: "META-INF/MANIFEST.MF", Data: []byte(m.String())}}, members...)...)
}
