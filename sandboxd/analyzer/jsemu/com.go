package jsemu

import (
	"sort"
	"strings"

	"github.com/dop251/goja"
)

// comObject is a fake ActiveX object. COM dispatch is case-insensitive
// (JScript finds WScript.Shell's "run" as well as "Run"), which a goja
// DynamicObject gives us: every member is looked up in lower case.
type comObject struct {
	e      *emu
	progID string
	// methods and props are keyed in lower case.
	methods map[string]func(goja.FunctionCall) goja.Value
	props   map[string]goja.Value
	// onSet, when set, sees every assignment first and returns true when
	// it handled it.
	onSet func(key string, v goja.Value) bool
	// str is what the object converts to (a Folder's path).
	str func() string
	// items makes the object a collection for Enumerator, Count and Item.
	items []goja.Value
	// permissive objects answer every unknown member with a function
	// that returns another permissive object, so scripts using objects we
	// do not model keep running.
	permissive bool
	fnCache    map[string]goja.Value
	self       *goja.Object
}

func (e *emu) newCOM(progID string) *comObject {
	o := &comObject{
		e:       e,
		progID:  progID,
		methods: map[string]func(goja.FunctionCall) goja.Value{},
		props:   map[string]goja.Value{},
		fnCache: map[string]goja.Value{},
	}
	o.self = e.vm.NewDynamicObject(o)
	e.objs[o.self] = o
	return o
}

// method registers fn under each of names (lower case).
func (o *comObject) method(fn func(goja.FunctionCall) goja.Value, names ...string) *comObject {
	for _, n := range names {
		o.methods[n] = fn
	}
	return o
}

func (o *comObject) set(name string, v any) *comObject {
	o.props[name] = o.e.vm.ToValue(v)
	return o
}

func (o *comObject) Get(key string) goja.Value {
	k := strings.ToLower(key)
	if f, ok := o.fnCache[k]; ok {
		return f
	}
	if m, ok := o.methods[k]; ok {
		f := o.e.vm.ToValue(m)
		o.fnCache[k] = f
		return f
	}
	if v, ok := o.props[k]; ok {
		return v
	}
	switch k {
	case "tostring", "valueof":
		f := o.e.vm.ToValue(func(goja.FunctionCall) goja.Value { return o.e.vm.ToValue(o.String()) })
		o.fnCache[k] = f
		return f
	case "count", "length":
		if o.items != nil {
			return o.e.vm.ToValue(len(o.items))
		}
	case "item":
		if o.items != nil {
			return o.e.vm.ToValue(func(c goja.FunctionCall) goja.Value {
				i := int(c.Argument(0).ToInteger())
				if i >= 0 && i < len(o.items) {
					return o.items[i]
				}
				return goja.Undefined()
			})
		}
	}
	if o.permissive && k != "then" && k != "constructor" && k != "prototype" && k != "__proto__" {
		f := o.e.vm.ToValue(func(goja.FunctionCall) goja.Value {
			g := o.e.newCOM(o.progID + "." + key)
			g.permissive = true
			return g.self
		})
		o.fnCache[k] = f
		return f
	}
	return nil
}

func (o *comObject) String() string {
	if o.str != nil {
		return o.str()
	}
	return "[object " + o.progID + "]"
}

func (o *comObject) Set(key string, v goja.Value) bool {
	k := strings.ToLower(key)
	if o.onSet != nil && o.onSet(k, v) {
		return true
	}
	delete(o.fnCache, k)
	o.props[k] = v
	return true
}

func (o *comObject) Has(key string) bool { return o.Get(key) != nil }

func (o *comObject) Delete(key string) bool {
	delete(o.props, strings.ToLower(key))
	return true
}

func (o *comObject) Keys() []string {
	keys := make([]string, 0, len(o.props))
	for k := range o.props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// str converts a JS value to a Go string; undefined and null are "".
func str(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	return v.String()
}

// callable makes a function object that also answers Item(...) and
// Count, as WSH collections do: JScript calls sh.Environment("PROCESS")
// and sh.SpecialFolders("Startup") directly.
func (e *emu) callable(fn func(goja.FunctionCall) goja.Value, count int) *goja.Object {
	f := e.vm.ToValue(fn).(*goja.Object)
	for _, n := range []string{"Item", "item"} {
		_ = f.Set(n, fn)
	}
	for _, n := range []string{"Count", "count"} {
		_ = f.Set(n, count)
	}
	return f
}

// throw raises a JScript-style error (with its HRESULT in number) in the
// script.
func (e *emu) throw(msg string, number int64) {
	ctor, _ := goja.AssertConstructor(e.vm.Get("Error"))
	obj, err := ctor(nil, e.vm.ToValue(msg))
	if err != nil {
		panic(e.vm.NewGoError(err))
	}
	_ = obj.Set("number", number)
	_ = obj.Set("description", msg)
	panic(obj)
}
