package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/selfsup/selfsup/tensor"
)

// Write stores tensors as F32 in safetensors format on w, in sorted name order, with
// metadata (may be nil) as the header's "__metadata__". Tensors may live on any
// device and have any layout; each is written as its row-major values. Equal inputs
// give byte-identical output. A nil tensor or the reserved name "__metadata__" is an
// error.
func Write(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if name == metadataKey {
			return fmt.Errorf("safetensors: Write: tensor name %q is reserved", name)
		}
		if t == nil {
			return fmt.Errorf("safetensors: Write: tensor %q is nil", name)
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("safetensors: Write: tensor name %q is not valid UTF-8", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	header, err := encodeHeader(names, tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	var buf []byte
	for _, name := range names {
		vals := tensors[name].Values()
		buf = slices.Grow(buf[:0], 4*len(vals))[:4*len(vals)]
		for i, v := range vals {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("safetensors: Write: tensor %q: %w", name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: Write: %w", err)
	}
	return nil
}

// encodeHeader builds the JSON header for names (sorted) padded with spaces to a
// multiple of 8 bytes.
func encodeHeader(names []string, tensors map[string]*tensor.Tensor, metadata map[string]string) ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("safetensors: Write: metadata %q: not valid UTF-8", k)
		}
	}
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // keys sorted by encoding/json
		if err != nil {
			return nil, fmt.Errorf("safetensors: Write: metadata: %w", err)
		}
		sb.WriteString(`"` + metadataKey + `":`)
		sb.Write(m)
	}
	offset := 0
	for i, name := range names {
		if i > 0 || len(metadata) > 0 {
			sb.WriteByte(',')
		}
		key, err := json.Marshal(name)
		if err != nil {
			return nil, fmt.Errorf("safetensors: Write: tensor %q: %w", name, err)
		}
		t := tensors[name]
		n := 4 * t.Numel()
		sb.Write(key)
		sb.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range t.Shape() {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(d))
		}
		sb.WriteString(`],"data_offsets":[`)
		sb.WriteString(strconv.Itoa(offset) + "," + strconv.Itoa(offset+n) + "]}")
		offset += n
	}
	sb.WriteByte('}')
	for sb.Len()%8 != 0 {
		sb.WriteByte(' ')
	}
	return []byte(sb.String()), nil
}

// WriteFile writes tensors and metadata to path as [Write] does, atomically: the data
// goes to a temporary file in the same directory, which is synced and then renamed
// over path. On error the temporary file is removed and path is left untouched.
func WriteFile(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("safetensors: WriteFile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("safetensors: WriteFile: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: WriteFile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: WriteFile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: WriteFile: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir flushes the directory entry of a rename to disk where the platform allows
// it; failures are ignored (the data itself is already synced).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
