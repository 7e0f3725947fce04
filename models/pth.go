package models

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/tensor"
)

// PTHFile is the state_dict read from a PyTorch checkpoint by [ReadPTH].
type PTHFile struct {
	// Tensors maps each state_dict key (without a "module." prefix) to a contiguous
	// float32 CPU tensor of the stored shape.
	Tensors map[string]*tensor.Tensor
	// DTypes maps each key to its stored dtype: "float32", "float64", "float16",
	// "bfloat16", "int64", "int32", "int16", "int8", "uint8" or "bool".
	DTypes map[string]string
	// Order lists the keys in the file's (state_dict registration) order.
	Order []string
	// Wrapper is the top-level key the state_dict was found under ("model" for BiaPy
	// checkpoints, "state_dict", …), "" for a bare state_dict.
	Wrapper string
	// Meta holds the wrapper dict's other scalar entries as text (BiaPy: "epoch",
	// "biapy_version").
	Meta map[string]string
}

// pthStorage is a storage named by a persistent id: ('storage', torch.FloatStorage,
// key, location, numel).
type pthStorage struct {
	DType string // "float32", …
	Key   string // archive/data/<Key>
}

// pthTensor is a tensor view over a storage (torch._utils._rebuild_tensor_v2).
type pthTensor struct {
	Storage *pthStorage
	Offset  int64 // in elements
	Size    []int64
	Stride  []int64
}

// storageDTypes maps torch's legacy storage class names to dtypes and element sizes.
var storageDTypes = map[string]struct {
	dtype string
	size  int
}{
	"FloatStorage": {"float32", 4}, "DoubleStorage": {"float64", 8},
	"HalfStorage": {"float16", 2}, "BFloat16Storage": {"bfloat16", 2},
	"LongStorage": {"int64", 8}, "IntStorage": {"int32", 4}, "ShortStorage": {"int16", 2},
	"CharStorage": {"int8", 1}, "ByteStorage": {"uint8", 1}, "BoolStorage": {"bool", 1},
}

// rebuildTensor interprets _rebuild_tensor_v2(storage, storage_offset, size, stride,
// requires_grad, backward_hooks[, metadata]) or _rebuild_tensor(storage, offset, size,
// stride).
func rebuildTensor(args pyTuple) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("pickle: _rebuild_tensor with %d arguments", len(args))
	}
	st, ok := args[0].(*pthStorage)
	if !ok {
		return nil, fmt.Errorf("pickle: _rebuild_tensor on %T, want a storage", args[0])
	}
	off, ok := args[1].(int64)
	if !ok {
		return nil, fmt.Errorf("pickle: _rebuild_tensor: storage offset %T", args[1])
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("pickle: _rebuild_tensor: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("pickle: _rebuild_tensor: stride: %w", err)
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("pickle: _rebuild_tensor: size %v, stride %v", size, stride)
	}
	return &pthTensor{Storage: st, Offset: off, Size: size, Stride: stride}, nil
}

func intTuple(v any) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("%T, want a tuple", v)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("entry %d is %v", i, x)
		}
		out[i] = n
	}
	return out, nil
}

// ReadPTH reads a PyTorch checkpoint written by torch.save (the zip format, the
// default since PyTorch 1.6: <name>/data.pkl, pickle protocol 2, plus one raw
// storage per <name>/data/<key>) and returns its state_dict as float32 tensors. The
// pickle is decoded by a minimal unpickler that builds values and runs no code.
//
// The state_dict is the top-level dict if it holds tensors, else the dict under
// "model" (BiaPy's checkpoints: {"model", "optimizer", "epoch", "cfg", …}),
// "state_dict", "model_state_dict" or "module". A "module." prefix on every key
// (DataParallel) is removed. Storages of dtype float32, float64, float16, bfloat16,
// int64, int32, int16, int8, uint8 and bool are converted to float32 (integers beyond
// 2^24 lose precision); storage offsets and strides (views such as a transpose) are
// honoured. Errors name the file and the key.
//
//	f, err := models.ReadPTH("unet-checkpoint-best.pth")
//	rep, err := models.Transfer(seg, f.Tensors, models.TransferOptions{})
func ReadPTH(path string) (*PTHFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: ReadPTH: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("models: ReadPTH: %w", err)
	}
	p, err := DecodePTH(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("models: ReadPTH: %s: %w", path, err)
	}
	return p, nil
}

// DecodePTH is [ReadPTH] on a zip archive read from r (size bytes).
func DecodePTH(r io.ReaderAt, size int64) (*PTHFile, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a PyTorch zip checkpoint (legacy pre-1.6 files are not supported; re-save with torch.save): %w", err)
	}
	files := map[string]*zip.File{}
	prefix, found := "", false // the archive's top folder, "<name>/"
	for _, zf := range zr.File {
		files[zf.Name] = zf
		dir, ok := strings.CutSuffix(zf.Name, "data.pkl")
		if ok && (dir == "" || strings.Count(dir, "/") == 1 && strings.HasSuffix(dir, "/")) && (!found || len(dir) < len(prefix)) {
			prefix, found = dir, true
		}
	}
	pkl, ok := files[prefix+"data.pkl"]
	if !found || !ok {
		return nil, fmt.Errorf("no data.pkl in the archive")
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if bo, ok := files[prefix+"byteorder"]; ok {
		b, err := readZip(bo)
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(string(b)) {
		case "little":
		case "big":
			order = binary.BigEndian
		default:
			return nil, fmt.Errorf("byteorder %q", b)
		}
	}
	b, err := readZip(pkl)
	if err != nil {
		return nil, err
	}
	storages := map[string]*pthStorage{}
	persist := func(pid any) (any, error) {
		t, ok := pid.(pyTuple)
		if !ok || len(t) < 3 || t[0] != "storage" {
			return nil, fmt.Errorf("persistent id %v: want ('storage', type, key, …)", pid)
		}
		g, ok1 := t[1].(pyGlobal)
		key, ok2 := t[2].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("persistent id %v: want ('storage', type, key, …)", pid)
		}
		dt, ok := storageDTypes[g.Name]
		if !ok {
			return nil, fmt.Errorf("storage %s: unsupported type %v", key, g)
		}
		if s, ok := storages[key]; ok {
			return s, nil
		}
		s := &pthStorage{DType: dt.dtype, Key: key}
		storages[key] = s
		return s, nil
	}
	root, err := unpickle(b, persist)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	sd, wrapper, meta, err := findStateDict(root)
	if err != nil {
		return nil, err
	}
	out := &PTHFile{Tensors: map[string]*tensor.Tensor{}, DTypes: map[string]string{}, Wrapper: wrapper, Meta: meta}
	raw := map[string][]byte{}
	strip := len(sd.Keys) > 0
	for _, k := range sd.Keys {
		if s, ok := k.(string); !ok || !strings.HasPrefix(s, "module.") {
			strip = false
		}
	}
	for i, k := range sd.Keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state_dict key %v is a %T, want a string", k, k)
		}
		pt, ok := sd.Values[i].(*pthTensor)
		if !ok {
			continue // _extra_state and other non-tensor entries
		}
		data, ok := raw[pt.Storage.Key]
		if !ok {
			zf, ok := files[prefix+"data/"+pt.Storage.Key]
			if !ok {
				return nil, fmt.Errorf("key %s: storage data/%s missing from the archive", key, pt.Storage.Key)
			}
			if data, err = readZip(zf); err != nil {
				return nil, fmt.Errorf("key %s: %w", key, err)
			}
			raw[pt.Storage.Key] = data
		}
		t, err := pt.materialise(data, order)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", key, err)
		}
		if strip {
			key = strings.TrimPrefix(key, "module.")
		}
		out.Tensors[key] = t
		out.DTypes[key] = pt.Storage.DType
		out.Order = append(out.Order, key)
	}
	if len(out.Tensors) == 0 {
		return nil, fmt.Errorf("state_dict %q holds no tensors", wrapper)
	}
	return out, nil
}

func readZip(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zf.Name, err)
	}
	return b, nil
}

// findStateDict picks the state_dict out of the unpickled root (see ReadPTH).
func findStateDict(root any) (sd *pyDict, wrapper string, meta map[string]string, err error) {
	d, ok := root.(*pyDict)
	if !ok {
		if o, ok := root.(*pyObject); ok && o.Items != nil {
			d = o.Items
		} else {
			return nil, "", nil, fmt.Errorf("data.pkl holds a %T, want a dict", root)
		}
	}
	if hasTensor(d) {
		return d, "", nil, nil
	}
	for _, w := range []string{"model", "state_dict", "model_state_dict", "module"} {
		v, ok := d.get(w)
		if !ok {
			continue
		}
		inner, ok := v.(*pyDict)
		if !ok || !hasTensor(inner) {
			continue
		}
		meta := map[string]string{}
		for i, k := range d.Keys {
			ks, ok := k.(string)
			if !ok {
				continue
			}
			switch v := d.Values[i].(type) {
			case string, int64, float64, bool:
				meta[ks] = fmt.Sprint(v)
			}
		}
		return inner, w, meta, nil
	}
	var keys []string
	for _, k := range d.Keys {
		keys = append(keys, fmt.Sprint(k))
	}
	return nil, "", nil, fmt.Errorf("no state_dict: top-level keys %v hold no tensors and none of model, state_dict, model_state_dict, module is a dict of tensors", keys)
}

func hasTensor(d *pyDict) bool {
	return slices.ContainsFunc(d.Values, func(v any) bool { _, ok := v.(*pthTensor); return ok })
}

// materialise gathers the view's elements from the raw storage bytes into a dense
// float32 tensor.
func (pt *pthTensor) materialise(data []byte, order binary.ByteOrder) (*tensor.Tensor, error) {
	es := 0
	for _, d := range storageDTypes {
		if d.dtype == pt.Storage.DType {
			es = d.size
		}
	}
	avail := int64(len(data) / es)
	shape := make([]int, len(pt.Size))
	n := int64(1)
	last := pt.Offset // largest element index touched
	for i, s := range pt.Size {
		if s > math.MaxInt32 {
			return nil, fmt.Errorf("size %v too large", pt.Size)
		}
		shape[i] = int(s)
		if n *= s; n > 1<<31 {
			return nil, fmt.Errorf("size %v: too many elements", pt.Size)
		}
		if s > 0 {
			last += (s - 1) * pt.Stride[i]
		}
	}
	if n > 0 && (pt.Offset < 0 || last >= avail) {
		return nil, fmt.Errorf("%s view offset %d size %v stride %v reaches element %d, storage data/%s has %d",
			pt.Storage.DType, pt.Offset, pt.Size, pt.Stride, last, pt.Storage.Key, avail)
	}
	out := make([]float32, n)
	conv := elementReader(pt.Storage.DType, order)
	idx := make([]int64, len(shape))
	for j := range out {
		off := pt.Offset
		for i, v := range idx {
			off += v * pt.Stride[i]
		}
		out[j] = conv(data[off*int64(es):])
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < pt.Size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return tensor.FromSlice(out, shape...), nil
}

// elementReader returns a function converting one stored element to float32.
func elementReader(dtype string, o binary.ByteOrder) func([]byte) float32 {
	switch dtype {
	case "float32":
		return func(b []byte) float32 { return math.Float32frombits(o.Uint32(b)) }
	case "float64":
		return func(b []byte) float32 { return float32(math.Float64frombits(o.Uint64(b))) }
	case "float16":
		return func(b []byte) float32 { return halfBits(o.Uint16(b)) }
	case "bfloat16":
		return func(b []byte) float32 { return math.Float32frombits(uint32(o.Uint16(b)) << 16) }
	case "int64":
		return func(b []byte) float32 { return float32(int64(o.Uint64(b))) }
	case "int32":
		return func(b []byte) float32 { return float32(int32(o.Uint32(b))) }
	case "int16":
		return func(b []byte) float32 { return float32(int16(o.Uint16(b))) }
	case "int8":
		return func(b []byte) float32 { return float32(int8(b[0])) }
	default: // uint8, bool
		return func(b []byte) float32 { return float32(b[0]) }
	}
}

// halfBits converts IEEE 754 binary16 bits to float32.
func halfBits(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
