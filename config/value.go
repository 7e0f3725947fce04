package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// valKind is the kind of a decoded YAML value.
type valKind int

const (
	vStr valKind = iota
	vInt
	vFloat
	vBool
	vNone
	vList
)

// val is one decoded YAML leaf as BiaPy (PyYAML + yacs literal_eval) reads it.
type val struct {
	kind  valKind
	s     string  // vStr
	i     int64   // vInt
	f     float64 // vFloat
	b     bool    // vBool
	list  []val   // vList
	tuple bool    // vList written as a Python tuple
	text  string  // the source text, for messages
}

// nodeVal decodes a scalar or sequence node. Strings go through a Python-literal
// parser as yacs does, so "(256, 256, 1)", "1.E-4" and "True" become a tuple, a
// float and a bool.
func nodeVal(n *yaml.Node) (val, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarVal(n), nil
	case yaml.SequenceNode:
		v := val{kind: vList, text: "[...]"}
		for _, e := range n.Content {
			ev, err := nodeVal(e)
			if err != nil {
				return val{}, err
			}
			v.list = append(v.list, ev)
		}
		parts := make([]string, len(v.list))
		for i, e := range v.list {
			parts[i] = e.text
		}
		v.text = "[" + strings.Join(parts, ", ") + "]"
		return v, nil
	case yaml.MappingNode:
		return val{}, fmt.Errorf("want a value, got a mapping")
	}
	return val{}, fmt.Errorf("unsupported YAML node")
}

// scalarVal decodes a scalar node by its resolved tag.
func scalarVal(n *yaml.Node) val {
	s := n.Value
	switch n.ShortTag() {
	case "!!null":
		return val{kind: vNone, text: "null"}
	case "!!bool":
		if b, ok := parseBool(s); ok {
			return val{kind: vBool, b: b, text: s}
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64); err == nil {
			return val{kind: vInt, i: i, text: s}
		}
	case "!!float":
		switch strings.ToLower(s) {
		case ".inf", "+.inf":
			return val{kind: vFloat, f: math.Inf(1), text: s}
		case "-.inf":
			return val{kind: vFloat, f: math.Inf(-1), text: s}
		case ".nan":
			return val{kind: vFloat, f: math.NaN(), text: s}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return val{kind: vFloat, f: f, text: s}
		}
	}
	if v, ok := parseLiteral(s); ok {
		return v
	}
	return val{kind: vStr, s: s, text: s}
}

// parseBool reads YAML 1.1 booleans (PyYAML): true/false, yes/no, on/off.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// parseLiteral parses s as a Python literal (ast.literal_eval subset): numbers,
// True/False/None, quoted strings, tuples and lists of those.
func parseLiteral(s string) (val, bool) {
	p := &litParser{s: s}
	p.space()
	v, ok := p.value()
	if !ok {
		return val{}, false
	}
	p.space()
	if p.i != len(p.s) {
		return val{}, false
	}
	v.text = strings.TrimSpace(s)
	return v, true
}

type litParser struct {
	s string
	i int
}

func (p *litParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *litParser) value() (val, bool) {
	if p.i >= len(p.s) {
		return val{}, false
	}
	switch c := p.s[p.i]; {
	case c == '(' || c == '[':
		return p.seq(c)
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.s[p.i+1:], c)
		if end < 0 {
			return val{}, false
		}
		str := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return val{kind: vStr, s: str, text: string(c) + str + string(c)}, true
	}
	start := p.i
	for p.i < len(p.s) && strings.IndexByte(",)] \t", p.s[p.i]) < 0 {
		p.i++
	}
	tok := p.s[start:p.i]
	switch tok {
	case "True":
		return val{kind: vBool, b: true, text: tok}, true
	case "False":
		return val{kind: vBool, text: tok}, true
	case "None":
		return val{kind: vNone, text: tok}, true
	}
	if tok == "" || strings.ContainsAny(tok, "xXoObB_") || !strings.ContainsAny(tok, "0123456789") {
		return val{}, false
	}
	if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return val{kind: vInt, i: i, text: tok}, true
	}
	if strings.ContainsAny(tok, "iInN") { // no inf/nan literals in Python
		return val{}, false
	}
	if f, err := strconv.ParseFloat(tok, 64); err == nil {
		return val{kind: vFloat, f: f, text: tok}, true
	}
	return val{}, false
}

// seq parses a tuple or list; "(x)" without a comma is x itself, as in Python.
func (p *litParser) seq(open byte) (val, bool) {
	closer := byte(')')
	if open == '[' {
		closer = ']'
	}
	p.i++
	v := val{kind: vList, tuple: open == '('}
	comma := false
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closer {
			p.i++
			break
		}
		e, ok := p.value()
		if !ok {
			return val{}, false
		}
		v.list = append(v.list, e)
		p.space()
		if p.i >= len(p.s) {
			return val{}, false
		}
		if p.s[p.i] == ',' {
			comma = true
			p.i++
			continue
		}
		if p.s[p.i] != closer {
			return val{}, false
		}
		p.i++
		break
	}
	if open == '(' && len(v.list) == 1 && !comma {
		return v.list[0], true
	}
	return v, true
}

// equal reports whether a and b are the same literal (ints equal to floats match,
// tuples match lists, as yacs converts between them).
func (a val) equal(b val) bool {
	num := func(v val) (float64, bool) {
		switch v.kind {
		case vInt:
			return float64(v.i), true
		case vFloat:
			return v.f, true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case vStr:
		return a.s == b.s
	case vBool:
		return a.b == b.b
	case vNone:
		return true
	case vList:
		if len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !a.list[i].equal(b.list[i]) {
				return false
			}
		}
		return true
	}
	return false
}
