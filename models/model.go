package models

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/safetensors"
)

// Summary returns a torchinfo-like table of m for an input of inputShape (e.g.
// [1, 1, 256, 256]): one row per layer output the model traces ([nn.Tape.Trace], at
// block boundaries, named by state_dict prefix) with its output shape and the number
// of parameters under that prefix (nested rows are indented; a prefix traced again is
// marked "(recursive)"), then the total, trainable and non-trainable parameter counts
// (buffers such as BatchNorm running statistics are not parameters) and the number of
// buffer values. It runs one forward pass on zeros in m's current mode (no mode
// getter exists, so the mode is left alone; the output shapes do not depend on it)
// and restores every buffer afterwards, so BatchNorm statistics are unchanged. A
// panic in the forward pass (e.g. an input shape the model rejects) is returned as an
// error.
func Summary(m nn.Module, inputShape []int) (s string, err error) {
	for _, d := range inputShape {
		if d <= 0 {
			return "", fmt.Errorf("models: Summary: input shape %v", inputShape)
		}
	}
	if len(inputShape) == 0 {
		return "", fmt.Errorf("models: Summary: empty input shape")
	}
	ps := m.Params()
	var saved []*tensor.Tensor
	for _, p := range ps {
		if p.Kind == nn.Buffer {
			saved = append(saved, p.Value.Clone())
		}
	}
	defer func() {
		i := 0
		for _, p := range ps {
			if p.Kind == nn.Buffer {
				p.Value.CopyFrom(saved[i])
				i++
			}
		}
	}()

	type row struct {
		name  string
		shape []int
	}
	var rows []row
	tp := nn.NewTape()
	tp.SetHook(func(name string, out *nn.Var) { rows = append(rows, row{name, slices.Clone(out.Shape())}) })
	var out *nn.Var
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("models: Summary: input %v: %v", inputShape, r)
			}
		}()
		dev := tensor.Device(tensor.CPU{})
		if len(ps) > 0 {
			dev = ps[0].Value.Device()
		}
		out = m.Forward(tp, nn.NewVar(tensor.Zeros(dev, inputShape...)))
	}()
	tp.Reset()
	if err != nil {
		return "", err
	}

	traced := map[string]bool{}
	for _, r := range rows {
		traced[r.name] = true
	}
	counted := map[string]bool{}
	cells := [][3]string{{"Layer (state_dict prefix)", "Output shape", "Param #"}}
	for _, r := range rows {
		depth := 0
		for n := range traced {
			if n != r.name && strings.HasPrefix(r.name, n+".") {
				depth++
			}
		}
		count := "(recursive)"
		if !counted[r.name] {
			counted[r.name] = true
			n := 0
			for _, p := range ps {
				if p.Kind != nn.Buffer && (p.Name == r.name || strings.HasPrefix(p.Name, r.name+".")) {
					n += p.Value.Numel()
				}
			}
			count = "--"
			if n > 0 {
				count = groupDigits(n)
			}
		}
		cells = append(cells, [3]string{strings.Repeat("  ", depth) + r.name, shapeString(r.shape), count})
	}
	var w [3]int
	for _, c := range cells {
		for i := range c {
			w[i] = max(w[i], len(c[i]))
		}
	}
	width := w[0] + w[1] + w[2] + 6
	var b strings.Builder
	line := func(c [3]string) {
		fmt.Fprintf(&b, "%-*s   %-*s   %*s\n", w[0], c[0], w[1], c[1], w[2], c[2])
	}
	fmt.Fprintf(&b, "%s\n", strings.Repeat("=", width))
	line(cells[0])
	fmt.Fprintf(&b, "%s\n", strings.Repeat("=", width))
	for _, c := range cells[1:] {
		line(c)
	}
	fmt.Fprintf(&b, "%s\n", strings.Repeat("=", width))
	total, trainable, buffers := 0, 0, 0
	for _, p := range ps {
		switch {
		case p.Kind == nn.Buffer:
			buffers += p.Value.Numel()
		case p.Kind == nn.Trainable && p.RequiresGrad():
			trainable += p.Value.Numel()
			total += p.Value.Numel()
		default:
			total += p.Value.Numel()
		}
	}
	fmt.Fprintf(&b, "Input shape: %s\nOutput shape: %s\n", shapeString(inputShape), shapeString(out.Shape()))
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
		groupDigits(total), groupDigits(trainable), groupDigits(total-trainable))
	fmt.Fprintf(&b, "Buffer values: %s\n", groupDigits(buffers))
	fmt.Fprintf(&b, "%s\n", strings.Repeat("=", width))
	return b.String(), nil
}

// shapeString formats a shape as PyTorch prints it: [1, 4, 16, 16].
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// groupDigits formats n with thousands separators: 1944241 → "1,944,241".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// SaveWeights writes every state_dict entry of m (parameters and buffers, named by
// their state_dict keys) to path as a safetensors file with the given metadata (may
// be nil), atomically: a crash leaves either the old file or the new one.
func SaveWeights(path string, m nn.Module, metadata map[string]string) error {
	ps := m.Params()
	tensors := make(map[string]*tensor.Tensor, len(ps))
	for _, p := range ps {
		if _, dup := tensors[p.Name]; dup {
			return fmt.Errorf("models: SaveWeights: %s: duplicate state_dict key %s", path, p.Name)
		}
		tensors[p.Name] = p.Value
	}
	if err := safetensors.WriteFile(path, tensors, metadata); err != nil {
		return fmt.Errorf("models: SaveWeights: %w", err)
	}
	return nil
}

// LoadWeights reads the safetensors file at path into m's state_dict entries
// (parameters and buffers) strictly: every key of m must be in the file with the same
// shape, and the file may hold no other key. Nothing is modified unless the whole
// file matches. Errors name the file, the key and both shapes.
func LoadWeights(path string, m nn.Module) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("models: LoadWeights: %w", err)
	}
	ps := m.Params()
	known := make(map[string]bool, len(ps))
	for _, p := range ps {
		known[p.Name] = true
		t, ok := f.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("models: LoadWeights: %s: missing key %s (model shape %v)", path, p.Name, p.Shape())
		}
		if !t.SameShape(p.Value) {
			return fmt.Errorf("models: LoadWeights: %s: key %s: file shape %v, model shape %v", path, p.Name, t.Shape(), p.Shape())
		}
	}
	var extra []string
	for name := range f.Tensors {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("models: LoadWeights: %s: unexpected key %s %v (%d unexpected keys in all)", path, extra[0], f.Tensors[extra[0]].Shape(), len(extra))
	}
	for _, p := range ps {
		p.Value.CopyFrom(f.Tensors[p.Name].To(p.Value.Device()))
	}
	return nil
}
