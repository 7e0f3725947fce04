package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// MaxHeaderSize is the largest JSON header, in bytes, that [Read] accepts (100 MB,
// the limit of the reference implementation).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding the string→string metadata.
const metadataKey = "__metadata__"

// File is the decoded content of a safetensors file.
type File struct {
	// Tensors maps each name to a contiguous float32 CPU tensor of the stored shape.
	Tensors map[string]*tensor.Tensor
	// DTypes maps each name to the dtype it was stored with ("F32", "I64", …).
	DTypes map[string]string
	// Metadata is the header's "__metadata__" map (empty if absent).
	Metadata map[string]string
	// Order lists the tensor names in the order their data appears in the file.
	Order []string
}

// dtypeSize gives the element size in bytes of every dtype Read accepts.
var dtypeSize = map[string]int{
	"F32": 4, "F64": 8, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

// maxExactInt is the largest integer magnitude a float32 holds exactly (2^24).
const maxExactInt = 1 << 24

// ReadFile reads and decodes the safetensors file at path. Errors name the path and
// the tensor or field at fault.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

// Read reads a whole safetensors stream from r and decodes it. Errors name the
// tensor or field at fault.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// entry is one tensor's header record plus its name and header position.
type entry struct {
	name    string
	pos     int
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets []int  `json:"data_offsets"`
}

// decode parses a complete file held in b.
func decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("header length: file has %d bytes, need at least 8", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length field", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(entries, len(data)); err != nil {
		return nil, err
	}
	f := &File{
		Tensors:  make(map[string]*tensor.Tensor, len(entries)),
		DTypes:   make(map[string]string, len(entries)),
		Metadata: meta,
		Order:    make([]string, 0, len(entries)),
	}
	for _, e := range entries {
		vals, err := convert(e.DType, data[e.Offsets[0]:e.Offsets[1]])
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.name, err)
		}
		f.Tensors[e.name] = tensor.FromSlice(vals, e.Shape...)
		f.DTypes[e.name] = e.DType
		f.Order = append(f.Order, e.name)
	}
	return f, nil
}

// parseHeader decodes the JSON header into tensor entries (in header order) and
// the metadata map. It checks each entry's own fields but not the data layout.
func parseHeader(header []byte) ([]*entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("header JSON: want an object, got %v", tok)
	}
	var entries []*entry
	meta := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("header JSON: want a key, got %v", tok)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header: duplicate entry %q", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header entry %q: %w", name, err)
		}
		if name == metadataKey {
			if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				continue // an explicit null means no metadata
			}
			var m map[string]string
			if err := strictUnmarshal(raw, &m); err != nil {
				return nil, nil, fmt.Errorf("header %s: %w", metadataKey, err)
			}
			for k, v := range m {
				meta[k] = v
			}
			continue
		}
		e := &entry{name: name, pos: len(entries)}
		if err := strictUnmarshal(raw, e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if err := checkEntry(e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	rest := header[dec.InputOffset():]
	if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("header JSON: %d unexpected bytes after the object", len(rest))
	}
	return entries, meta, nil
}

// strictUnmarshal decodes raw into v, rejecting unknown fields and JSON null.
func strictUnmarshal(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("is null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkEntry validates one tensor record: known dtype, non-negative shape whose byte
// size fits in an int, two ordered offsets spanning exactly numel·size bytes.
func checkEntry(e *entry) error {
	size, ok := dtypeSize[e.DType]
	if !ok {
		if e.DType == "" {
			return errors.New("missing dtype")
		}
		return fmt.Errorf("unsupported dtype %q", e.DType)
	}
	if e.Shape == nil {
		return errors.New("missing shape")
	}
	if len(e.Offsets) != 2 {
		return fmt.Errorf("data_offsets %v: want [begin, end]", e.Offsets)
	}
	begin, end := e.Offsets[0], e.Offsets[1]
	if begin < 0 || end < begin {
		return fmt.Errorf("data_offsets %v: want 0 ≤ begin ≤ end", e.Offsets)
	}
	nbytes := size
	zero := false
	for _, d := range e.Shape {
		if d < 0 {
			return fmt.Errorf("shape %v: negative dimension", e.Shape)
		}
		if d == 0 {
			zero = true
			continue
		}
		if nbytes > math.MaxInt/d {
			return fmt.Errorf("shape %v: too many elements", e.Shape)
		}
		nbytes *= d
	}
	if zero {
		nbytes = 0
	}
	if end-begin != nbytes {
		return fmt.Errorf("data_offsets %v: %d bytes, shape %v of %s needs %d", e.Offsets, end-begin, e.Shape, e.DType, nbytes)
	}
	return nil
}

// checkLayout sorts entries by data position and checks that they cover the data
// section [0, dataLen) contiguously without overlap.
func checkLayout(entries []*entry, dataLen int) error {
	slices.SortStableFunc(entries, func(a, b *entry) int {
		if a.Offsets[0] != b.Offsets[0] {
			return a.Offsets[0] - b.Offsets[0]
		}
		if a.Offsets[1] != b.Offsets[1] {
			return a.Offsets[1] - b.Offsets[1]
		}
		return a.pos - b.pos
	})
	at := 0
	for _, e := range entries {
		switch {
		case e.Offsets[0] < at:
			return fmt.Errorf("tensor %q: data_offsets %v overlap the previous tensor (ends at %d)", e.name, e.Offsets, at)
		case e.Offsets[0] > at:
			return fmt.Errorf("tensor %q: data_offsets %v leave a gap after byte %d", e.name, e.Offsets, at)
		}
		at = e.Offsets[1]
	}
	if at != dataLen {
		return fmt.Errorf("data section: tensors cover %d bytes, file holds %d", at, dataLen)
	}
	return nil
}
