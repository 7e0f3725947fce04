package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem with one key of a configuration: the file, the line where the
// key was set (0 when it keeps its default), the key and what was expected.
type Error struct {
	File string // configuration file name
	Line int    // line where the key was set; 0 when it keeps its default
	Key  string // full BiaPy key, e.g. "PROBLEM.TYPE"
	Msg  string // what is wrong or was expected
}

// Error formats e as "file:line: KEY: message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the BiaPy YAML file at path; see [Parse].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a BiaPy YAML configuration (name is used in messages) unchanged:
// nested maps and dotted keys at any level, mixed; Python literals as yacs reads them
// ((256, 256, 1), True/False/None, 1.E-4, [16, 32]); comments. Keys not set keep
// [Defaults]. It then applies BiaPy's validity rules ([Config.Check]); it does not
// look at the file system ([Config.Validate] does). Every problem found is reported,
// joined with errors.Join, each an [*Error] naming the file, line and key: unknown
// keys (with a "did you mean" suggestion), BiaPy keys selfsup does not support, wrong
// types and rule violations. Keys of old BiaPy releases are renamed or dropped with a
// note in [Config.Warnings].
func Parse(data []byte, name string) (*Config, error) {
	c := Defaults()
	c.file = name
	c.lines = map[string]int{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	p := &parser{c: c}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &Error{File: name, Line: root.Line, Msg: "want a mapping of BiaPy keys at the top level"}
		}
		p.mapping(root, "")
	}
	if _, ok := c.lines["PROBLEM.TYPE"]; !ok {
		p.errs = append(p.errs, &Error{File: name, Key: "PROBLEM.TYPE", Msg: "not set; want SELF_SUPERVISED (BiaPy's default is SEMANTIC_SEG)"})
	}
	c.fillDerived()
	// Rules run even after decoding errors, so every problem is reported at once;
	// a key that failed to decode is not reported again by a rule.
	failed := map[string]bool{}
	for _, e := range p.errs {
		if ke, ok := e.(*Error); ok {
			failed[ke.Key] = true
		}
	}
	if err := c.Check(); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			if ke, ok := e.(*Error); !ok || !failed[ke.Key] {
				p.errs = append(p.errs, e)
			}
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

// parser walks the YAML tree, setting Config fields and collecting errors.
type parser struct {
	c    *Config
	errs []error
}

func (p *parser) errorf(line int, key, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.c.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// mapping handles every key of the mapping node n under prefix.
func (p *parser) mapping(n *yaml.Node, prefix string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errorf(k.Line, prefix, "want a key name, got %q", k.Value)
			continue
		}
		if k.Value == "<<" { // YAML merge key
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			if v.Kind == yaml.MappingNode {
				p.mapping(v, prefix)
				continue
			}
		}
		key := k.Value
		if prefix != "" {
			key = prefix + "." + key
		}
		if strings.Contains(key, "..") || strings.HasSuffix(key, ".") || strings.HasPrefix(key, ".") {
			p.errorf(k.Line, key, "empty key segment")
			continue
		}
		vv := v
		for vv.Kind == yaml.AliasNode && vv.Alias != nil {
			vv = vv.Alias
		}
		if vv.Kind == yaml.MappingNode {
			_, isField := fieldByKey[key]
			_, isUnsup := findUnsupported(key + ".")
			switch {
			case isField:
				p.errorf(k.Line, key, "want a value, got a mapping")
			case sections[key] || isUnsup:
				p.mapping(vv, key)
			default:
				p.unknown(k.Line, key)
			}
			continue
		}
		p.leaf(k.Line, key, vv)
	}
}

// unknown reports key as unknown, with the nearest known key.
func (p *parser) unknown(line int, key string) {
	if s := suggest(key); s != "" {
		p.errorf(line, key, "unknown key; did you mean %s?", s)
		return
	}
	p.errorf(line, key, "unknown key")
}

// leaf sets one key to the value node v.
func (p *parser) leaf(line int, key string, v *yaml.Node) {
	if ob, ok := obsoleteKeys[key]; ok {
		if key == "MODEL.BATCH_NORMALIZATION" {
			if x, err := nodeVal(v); err == nil && x.kind == vBool && x.b {
				if _, set := p.c.lines["MODEL.NORMALIZATION"]; !set {
					p.c.Model.Normalization = "bn"
				}
			}
		}
		p.c.warnings = append(p.c.warnings, fmt.Sprintf("%s:%d: %s: %s", p.c.file, line, key, ob.note))
		if ob.to == "" {
			return
		}
		key = ob.to
	}
	f, ok := fieldByKey[key]
	if !ok {
		if u, ok := findUnsupported(key); ok {
			x, err := nodeVal(v)
			if u.def != "" && err == nil {
				if d, _ := parseLiteral(u.def); x.equal(d) {
					return
				}
			}
			if u.def != "" {
				p.errorf(line, key, "not supported by selfsup (%s); only BiaPy's default %s is accepted", u.why, u.def)
			} else {
				p.errorf(line, key, "not supported by selfsup (%s)", u.why)
			}
			return
		}
		if sections[key] {
			p.errorf(line, key, "is a section; want a mapping of keys under it")
			return
		}
		p.unknown(line, key)
		return
	}
	if first, dup := p.c.lines[key]; dup {
		p.errorf(line, key, "set twice (first at line %d)", first)
		return
	}
	p.c.lines[key] = line
	x, err := nodeVal(v)
	if err == nil {
		err = assign(reflect.ValueOf(p.c).Elem().FieldByIndex(f.index), x)
	}
	if err != nil {
		p.errorf(line, key, "%v", err)
	}
}

// assign stores x into the field value dst, converting as yacs would.
func assign(dst reflect.Value, x val) error {
	switch dst.Kind() {
	case reflect.String:
		if x.kind != vStr {
			return fmt.Errorf("want a string, got %s", x.text)
		}
		dst.SetString(x.s)
	case reflect.Int:
		if x.kind != vInt {
			return fmt.Errorf("want an integer, got %s", x.text)
		}
		dst.SetInt(x.i)
	case reflect.Float64:
		switch x.kind {
		case vInt:
			dst.SetFloat(float64(x.i))
		case vFloat:
			dst.SetFloat(x.f)
		default:
			return fmt.Errorf("want a number, got %s", x.text)
		}
	case reflect.Bool:
		b, ok := x.b, x.kind == vBool
		if x.kind == vStr {
			b, ok = parseBool(x.s)
		}
		if !ok {
			return fmt.Errorf("want True or False, got %s", x.text)
		}
		dst.SetBool(b)
	case reflect.Slice, reflect.Array:
		want := "a list of " + elemName(dst.Type().Elem())
		if dst.Kind() == reflect.Array {
			want = fmt.Sprintf("a pair of %s like (%s)", elemName(dst.Type().Elem()), examplePair(dst.Type().Elem()))
		}
		if x.kind != vList {
			if x.kind == vStr && (strings.HasPrefix(x.s, "(") || strings.HasPrefix(x.s, "[")) {
				return fmt.Errorf("malformed tuple %q; want %s", x.s, want)
			}
			return fmt.Errorf("want %s, got %s", want, x.text)
		}
		n := len(x.list)
		if dst.Kind() == reflect.Array && n != dst.Len() {
			return fmt.Errorf("want %s, got %d values %s", want, n, x.text)
		}
		out := dst
		if dst.Kind() == reflect.Slice {
			out = reflect.MakeSlice(dst.Type(), n, n)
		}
		for i, e := range x.list {
			if err := assign(out.Index(i), e); err != nil {
				return fmt.Errorf("element %d of %s: %w", i, x.text, err)
			}
		}
		if dst.Kind() == reflect.Slice {
			dst.Set(out)
		}
	default:
		panic(fmt.Sprintf("config: assign: unsupported field type %s", dst.Type()))
	}
	return nil
}

func elemName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "integers"
	case reflect.Float64:
		return "numbers"
	case reflect.Bool:
		return "True/False values"
	}
	return "strings"
}

func examplePair(t reflect.Type) string {
	if t.Kind() == reflect.Int {
		return "1, 3"
	}
	return "0.1, 0.2"
}

// Warnings returns notes about accepted keys that have no effect or were renamed
// (e.g. keys of pre-v3.5 BiaPy files), each naming the file, line and key.
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// File returns the name the configuration was parsed from ("" when built in Go).
func (c *Config) File() string { return c.file }

// Line returns the line where key was set in the file, or 0.
func (c *Config) Line(key string) int { return c.lines[key] }

// SetKeys returns the keys set in the file, sorted.
func (c *Config) SetKeys() []string {
	ks := make([]string, 0, len(c.lines))
	for k := range c.lines {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// fillDerived sets each DATA.*.SSL_SOURCE_DIR not set in the file to its PATH +
// "_ssl_source" and, in 3-D, the default (0, 0) overlaps and paddings to (0, 0, 0)
// (BiaPy's update_dependencies).
func (c *Config) fillDerived() {
	for _, s := range []struct {
		key  string
		dir  *string
		path string
	}{
		{"DATA.TRAIN.SSL_SOURCE_DIR", &c.Data.Train.SSLSourceDir, c.Data.Train.Path},
		{"DATA.VAL.SSL_SOURCE_DIR", &c.Data.Val.SSLSourceDir, c.Data.Val.Path},
		{"DATA.TEST.SSL_SOURCE_DIR", &c.Data.Test.SSLSourceDir, c.Data.Test.Path},
	} {
		if _, set := c.lines[s.key]; !set || *s.dir == "" {
			*s.dir = s.path + "_ssl_source"
		}
	}
	// BiaPy's 2-D defaults (0, 0) become (0, 0, 0) in 3-D.
	if c.Spatial() == 3 {
		for _, o := range []*[]float64{&c.Data.Train.Overlap, &c.Data.Val.Overlap, &c.Data.Test.Overlap} {
			if len(*o) == 2 && (*o)[0] == 0 && (*o)[1] == 0 {
				*o = []float64{0, 0, 0}
			}
		}
		for _, p := range []*[]int{&c.Data.Train.Padding, &c.Data.Val.Padding, &c.Data.Test.Padding} {
			if len(*p) == 2 && (*p)[0] == 0 && (*p)[1] == 0 {
				*p = []int{0, 0, 0}
			}
		}
	}
}
