package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// This file is a minimal, safe unpickler for the data.pkl of PyTorch checkpoints: it
// builds plain Go values and never runs code. Globals become pyGlobal values; calling
// one (REDUCE, NEWOBJ) gives a dict for collections.OrderedDict, a pthTensor for
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, and an opaque pyObject for
// anything else (yacs CfgNode, numpy scalars, …), so whole BiaPy checkpoints load.
//
// Values: nil (None), bool, int64, *big.Int, float64, string, []byte, pyTuple,
// *pyList, *pyDict, pyGlobal, *pyObject, *pthStorage, *pthTensor.

// pyGlobal is a module attribute named by GLOBAL / STACK_GLOBAL.
type pyGlobal struct{ Module, Name string }

func (g pyGlobal) String() string { return g.Module + "." + g.Name }

// pyTuple is a Python tuple.
type pyTuple []any

// pyList is a (mutable) Python list.
type pyList struct{ Items []any }

// pyDict is an insertion-ordered Python dict (or OrderedDict).
type pyDict struct {
	Keys   []any
	Values []any
	byStr  map[string]int
}

func newPyDict() *pyDict { return &pyDict{byStr: map[string]int{}} }

// set inserts or replaces key. Keys other than strings are kept in order but are
// looked up by position only.
func (d *pyDict) set(k, v any) {
	if s, ok := k.(string); ok {
		if i, ok := d.byStr[s]; ok {
			d.Values[i] = v
			return
		}
		d.byStr[s] = len(d.Keys)
	}
	d.Keys = append(d.Keys, k)
	d.Values = append(d.Values, v)
}

// get returns the value of the string key k.
func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.byStr[k]
	if !ok {
		return nil, false
	}
	return d.Values[i], true
}

// pyObject is an instance of a class the unpickler does not model.
type pyObject struct {
	Class pyGlobal
	Args  []any
	State any     // BUILD argument
	Items *pyDict // SETITEMS on a dict subclass
	List  *pyList // APPENDS on a list subclass
}

// pyMark is the MARK sentinel on the stack.
type pyMark struct{}

// unpickler decodes one pickle stream.
type unpickler struct {
	b       []byte
	pos     int
	stack   []any
	memo    map[uint64]any
	persist func(pid any) (any, error) // BINPERSID / PERSID
}

// unpickle decodes the pickle in b; persist resolves persistent ids.
func unpickle(b []byte, persist func(any) (any, error)) (any, error) {
	u := &unpickler{b: b, memo: map[uint64]any{}, persist: persist}
	return u.run()
}

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.b)-u.pos {
		return nil, fmt.Errorf("pickle: truncated at byte %d (want %d more bytes)", u.pos, n)
	}
	s := u.b[u.pos : u.pos+n]
	u.pos += n
	return s, nil
}

func (u *unpickler) line() (string, error) {
	i := strings.IndexByte(string(u.b[u.pos:]), '\n')
	if i < 0 {
		return "", fmt.Errorf("pickle: truncated line at byte %d", u.pos)
	}
	s := string(u.b[u.pos : u.pos+i])
	u.pos += i + 1
	return s, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	s, err := u.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pickle: stack underflow at byte %d", u.pos)
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, ok := v.(pyMark); ok {
		return nil, fmt.Errorf("pickle: unexpected MARK at byte %d", u.pos)
	}
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pickle: stack underflow at byte %d", u.pos)
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops everything above the topmost MARK, and the MARK.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(pyMark); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, fmt.Errorf("pickle: no MARK at byte %d", u.pos)
}

// run executes opcodes until STOP.
func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.b) {
			return nil, fmt.Errorf("pickle: no STOP opcode")
		}
		op := u.b[u.pos]
		u.pos++
		if op == '.' { // STOP
			return u.pop()
		}
		if err := u.step(op); err != nil {
			return nil, err
		}
	}
}

// step executes one opcode other than STOP.
func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := u.read(1)
		return err
	case 0x95: // FRAME
		_, err := u.read(8)
		return err
	case '(': // MARK
		u.push(pyMark{})
	case '0': // POP
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'J': // BININT
		v, err := u.uint(4)
		u.push(int64(int32(uint32(v))))
		return err
	case 'K': // BININT1
		v, err := u.uint(1)
		u.push(int64(v))
		return err
	case 'M': // BININT2
		v, err := u.uint(2)
		u.push(int64(v))
		return err
	case 0x8a, 0x8b: // LONG1, LONG4
		w := 1
		if op == 0x8b {
			w = 4
		}
		n, err := u.uint(w)
		if err != nil {
			return err
		}
		s, err := u.read(int(n))
		if err != nil {
			return err
		}
		u.push(decodeLong(s))
	case 'I', 'L': // INT, LONG (text)
		s, err := u.line()
		if err != nil {
			return err
		}
		switch s = strings.TrimSuffix(s, "L"); s {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("pickle: INT %q: %w", s, err)
			}
			u.push(v)
		}
	case 'G': // BINFLOAT
		s, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(s)))
	case 'X', 0x8c, 0x8d, 'T', 'U', 'B', 'C', 0x8e, 0x96: // strings and bytes
		w := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8, 'T': 4, 'U': 1, 'B': 4, 'C': 1, 0x8e: 8, 0x96: 8}[op]
		n, err := u.uint(w)
		if err != nil {
			return err
		}
		if n > uint64(len(u.b)) {
			return fmt.Errorf("pickle: string of %d bytes at byte %d exceeds the data", n, u.pos)
		}
		s, err := u.read(int(n))
		if err != nil {
			return err
		}
		if op == 'B' || op == 'C' || op == 0x8e || op == 0x96 {
			u.push(append([]byte(nil), s...))
		} else {
			u.push(string(s))
		}
	case '}': // EMPTY_DICT
		u.push(newPyDict())
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newPyDict()
		if err := setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case 'l': // LIST
		items, err := u.popMark()
		u.push(&pyList{Items: items})
		return err
	case ')': // EMPTY_TUPLE
		u.push(pyTuple{})
	case 't': // TUPLE
		items, err := u.popMark()
		u.push(pyTuple(items))
		return err
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op - 0x84)
		if len(u.stack) < n {
			return fmt.Errorf("pickle: stack underflow at byte %d", u.pos)
		}
		t := pyTuple(append([]any(nil), u.stack[len(u.stack)-n:]...))
		u.stack = u.stack[:len(u.stack)-n]
		u.push(t)
	case 0x8f: // EMPTY_SET
		u.push(&pyList{})
	case 0x90: // ADDITEMS
		return u.appends()
	case 0x91: // FROZENSET
		items, err := u.popMark()
		u.push(&pyList{Items: items})
		return err
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendTo([]any{v})
	case 'e': // APPENDS
		return u.appends()
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		return u.setItemsOn([]any{k, v})
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.setItemsOn(items)
	case 'q', 'r', 0x94, 'p': // BINPUT, LONG_BINPUT, MEMOIZE, PUT
		var idx uint64
		var err error
		switch op {
		case 'q':
			idx, err = u.uint(1)
		case 'r':
			idx, err = u.uint(4)
		case 0x94:
			idx = uint64(len(u.memo))
		default:
			var s string
			if s, err = u.line(); err == nil {
				idx, err = strconv.ParseUint(s, 10, 64)
			}
		}
		if err != nil {
			return err
		}
		v, err := u.top()
		u.memo[idx] = v
		return err
	case 'h', 'j', 'g': // BINGET, LONG_BINGET, GET
		var idx uint64
		var err error
		switch op {
		case 'h':
			idx, err = u.uint(1)
		case 'j':
			idx, err = u.uint(4)
		default:
			var s string
			if s, err = u.line(); err == nil {
				idx, err = strconv.ParseUint(s, 10, 64)
			}
		}
		if err != nil {
			return err
		}
		v, ok := u.memo[idx]
		if !ok {
			return fmt.Errorf("pickle: memo %d not defined at byte %d", idx, u.pos)
		}
		u.push(v)
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		u.push(pyGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return err
		}
		mod, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("pickle: STACK_GLOBAL on %T, %T", mod, name)
		}
		u.push(pyGlobal{ms, ns})
	case 'R', 0x81: // REDUCE, NEWOBJ
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		t, ok := args.(pyTuple)
		if !ok {
			return fmt.Errorf("pickle: call of %v with %T arguments", fn, args)
		}
		v, err := call(fn, t)
		u.push(v)
		return err
	case 0x92: // NEWOBJ_EX
		if _, err := u.pop(); err != nil { // kwargs
			return err
		}
		args, err := u.pop()
		if err != nil {
			return err
		}
		cls, err := u.pop()
		if err != nil {
			return err
		}
		t, _ := args.(pyTuple)
		v, err := call(cls, t)
		u.push(v)
		return err
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		if o, ok := obj.(*pyObject); ok {
			o.State = state
		} // OrderedDict _metadata, tensor/parameter state: not needed
	case 'Q', 'P': // BINPERSID, PERSID
		var pid any
		var err error
		if op == 'Q' {
			pid, err = u.pop()
		} else {
			pid, err = u.line()
		}
		if err != nil {
			return err
		}
		if u.persist == nil {
			return fmt.Errorf("pickle: persistent id without a loader")
		}
		v, err := u.persist(pid)
		if err != nil {
			return err
		}
		u.push(v)
	default:
		return fmt.Errorf("pickle: unsupported opcode 0x%02x at byte %d", op, u.pos-1)
	}
	return nil
}

// appends pops a MARK-ed run of items and appends them to the list below it.
func (u *unpickler) appends() error {
	items, err := u.popMark()
	if err != nil {
		return err
	}
	return u.appendTo(items)
}

func (u *unpickler) appendTo(items []any) error {
	target, err := u.top()
	if err != nil {
		return err
	}
	switch t := target.(type) {
	case *pyList:
		t.Items = append(t.Items, items...)
	case *pyObject:
		if t.List == nil {
			t.List = &pyList{}
		}
		t.List.Items = append(t.List.Items, items...)
	default:
		return fmt.Errorf("pickle: APPEND to %T at byte %d", target, u.pos)
	}
	return nil
}

// setItemsOn sets key/value pairs on the dict (or dict-like object) on top.
func (u *unpickler) setItemsOn(items []any) error {
	target, err := u.top()
	if err != nil {
		return err
	}
	switch t := target.(type) {
	case *pyDict:
		return setItems(t, items)
	case *pyObject:
		if t.Items == nil {
			t.Items = newPyDict()
		}
		return setItems(t.Items, items)
	}
	return fmt.Errorf("pickle: SETITEMS on %T at byte %d", target, u.pos)
}

func setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("pickle: odd number of dict items (%d)", len(items))
	}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return nil
}

// decodeLong decodes a little-endian two's-complement integer (LONG1/LONG4).
func decodeLong(s []byte) any {
	if len(s) == 0 {
		return int64(0)
	}
	if len(s) <= 8 {
		var v uint64
		for i := len(s) - 1; i >= 0; i-- {
			v = v<<8 | uint64(s[i])
		}
		shift := 64 - 8*uint(len(s))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(s))
	for i := range s {
		be[len(s)-1-i] = s[i]
	}
	v := new(big.Int).SetBytes(be)
	if s[len(s)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(s))))
	}
	return v
}

// call applies a global to arguments: the few callables state dicts use are
// modelled, everything else becomes an opaque pyObject.
func call(fn any, args pyTuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return &pyObject{Args: args}, nil
	}
	switch g.String() {
	case "collections.OrderedDict", "builtins.dict":
		d := newPyDict()
		if len(args) == 1 {
			if l, ok := args[0].(*pyList); ok {
				for _, it := range l.Items {
					if kv, ok := it.(pyTuple); ok && len(kv) == 2 {
						d.set(kv[0], kv[1])
					}
				}
			}
		}
		return d, nil
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		return rebuildTensor(args)
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, fmt.Errorf("pickle: %v: no arguments", g)
		}
		return args[0], nil
	case "torch.Size", "builtins.tuple":
		if len(args) == 1 {
			if t, ok := args[0].(pyTuple); ok {
				return t, nil
			}
		}
	}
	return &pyObject{Class: g, Args: args}, nil
}
